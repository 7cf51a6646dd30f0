#include "model/residency/cache_residency.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

// What stays cached of data after `through` bytes went through a cache of `cache` bytes.
double Survives(double through, double cache) { return cache > 0 ? std::exp(-through / cache) : 0; }

double Megabytes(double bytes) { return bytes / 1e6; }

}  // namespace

LayerBytes BytesOf(const NetworkLayer& layer) {
  if (!layer.conv) return {.weights = 0, .activations = std::max(0.0, layer.bytes)};
  const ConvShape s = ResolveConvShape(*layer.conv);
  const double element = BytesPerElement(s.dtype);
  const double weights = static_cast<double>(s.k * (s.c / std::max<int64_t>(1, s.groups)) * s.r * s.s + s.k);
  const double input = static_cast<double>(s.n * s.c * s.h * s.w);
  const double output = static_cast<double>(s.n * s.k * s.p() * s.q());
  return {.weights = weights * element, .activations = (input + output) * element};
}

NetworkResidency EstimateCacheResidency(const std::vector<NetworkLayer>& layers, int64_t cache_bytes) {
  NetworkResidency network;
  network.layers.reserve(layers.size());
  double largest_activation = 0;  // input or output: about half of a layer's activation bytes
  for (const NetworkLayer& layer : layers) {
    LayerResidency& residency = network.layers.emplace_back();
    residency.bytes = BytesOf(layer);
    network.weight_bytes += residency.bytes.weights;
    largest_activation = std::max(largest_activation, residency.bytes.activations / 2);
  }
  network.footprint_bytes = network.weight_bytes + 2 * largest_activation;
  const auto cache = static_cast<double>(cache_bytes);
  const double weights_cached = Survives(network.footprint_bytes, cache);
  for (LayerResidency& residency : network.layers) {
    const LayerBytes& bytes = residency.bytes;
    residency.weights_cached = bytes.weights > 0 ? weights_cached : 0;
    residency.activations_cached = Survives(bytes.activations, cache);
    const double total = bytes.weights + bytes.activations;
    residency.hot_share =
        total > 0
            ? (bytes.weights * residency.weights_cached + bytes.activations * residency.activations_cached) / total
            : 0;
    if (cache <= 0) {
      residency.description = "evicted: the platform's last-level cache is unknown";
      continue;
    }
    residency.description = absl::StrFormat("hot %.2f: ", residency.hot_share);
    if (bytes.weights > 0) {
      absl::StrAppendFormat(&residency.description,
                            "weights %.0f %% cached (the network moves %.1f MB per pass through the %.1f MB cache), ",
                            100 * residency.weights_cached, Megabytes(network.footprint_bytes), Megabytes(cache));
    }
    absl::StrAppendFormat(&residency.description, "inputs and output %.0f %% (%.1f MB)",
                          100 * residency.activations_cached, Megabytes(bytes.activations));
  }
  return network;
}

}  // namespace convlat::model
