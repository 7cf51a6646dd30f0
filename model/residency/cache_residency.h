#pragma once
// Which data of each layer of a network can still be in the last-level cache when the layer runs,
// so that its prediction can lie between its two timings: evicted (nothing cached, how the agent
// times by default) and hot (everything it touches cached as far as it fits, right after a run of
// itself). Walking the network in execution order, as a runtime runs it pass after pass:
// - a layer's weights were last touched one pass ago: between two uses, the whole network's
//   footprint per pass went through the cache (every layer's weights and the activation buffers a
//   runtime reuses: two of the largest activation's size, the input and output in turn);
// - its input was written by the layer just before, and its output goes to a buffer the runtime
//   reuses: what went through the cache since is about its own input and output.
// The share of a piece of data still cached after `d` bytes went through a cache of `C` bytes is
// taken as exp(-d / C): what a cache that replaces lines at random keeps, a smooth middle between
// "fits" and "does not fit" for a last-level cache shared with other cores and tenants, whose
// effective size no one knows exactly.

#include <cstdint>
#include <string>
#include <vector>

#include "model/layers/network.h"

namespace convlat::model {

// What one layer reads and writes, in bytes.
struct LayerBytes {
  double weights = 0;      // filters and bias (convolutions and matrix products); 0 for other ops
  double activations = 0;  // its inputs and output
};
// Convolutions from their parameters; other ops from `bytes` (all of it activations).
LayerBytes BytesOf(const NetworkLayer& layer);

struct LayerResidency {
  LayerBytes bytes;
  double weights_cached = 0;      // share of its weights expected in the cache, 0..1
  double activations_cached = 0;  // share of its inputs and output expected in the cache, 0..1
  // Share of all its bytes expected cached: where its latency lies between evicted (0) and hot (1).
  double hot_share = 0;
  // In words, for the layer's explanation, e.g. "hot 0.62: weights 48 % cached (the network moves
  // 23.6 MB per pass through the 32.0 MB cache), inputs and output 74 % (9.6 MB)".
  std::string description;
};

struct NetworkResidency {
  double weight_bytes = 0;             // of the whole network
  double footprint_bytes = 0;          // per pass: every weight and the reused activation buffers
  std::vector<LayerResidency> layers;  // one per layer, same order
};

// `cache_bytes` is the platform's last-level cache; 0 (unknown) leaves every layer evicted.
NetworkResidency EstimateCacheResidency(const std::vector<NetworkLayer>& layers, int64_t cache_bytes);

}  // namespace convlat::model
