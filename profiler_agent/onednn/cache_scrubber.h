#pragma once
// Evicts the CPU's caches between timed runs, so that a layer is timed the way it runs inside a
// network: its weights coming back from memory and its activations from wherever the layer before
// left them, not left hot by the previous run of itself. On the 2-core EPYC VM, a MobileNetV2
// depthwise layer timed hot took 68 µs, inside the network 258 µs, scrubbed 388 µs; a 3x3
// ResNet layer (compute-bound) 1,017 / 1,081 / 1,077 µs (docs/accuracy.md).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convlat::agent {

class CacheScrubber {
 public:
  // Twice the last-level cache, and at least 16 MiB.
  static size_t BytesFor(int64_t last_level_cache_bytes);
  explicit CacheScrubber(int64_t last_level_cache_bytes) : CacheScrubber(Bytes{BytesFor(last_level_cache_bytes)}) {}
  // A scrubber of exactly this size (at least one cache line): eviction_check.h tries sizes.
  static CacheScrubber OfSize(size_t bytes) { return CacheScrubber(Bytes{bytes}); }

  // Reads every cache line of the buffer, split over the OpenMP threads (the threads oneDNN runs
  // on), so every core's private caches are evicted too.
  void Scrub();
  size_t bytes() const { return buffer_.size(); }

 private:
  struct Bytes {
    size_t value;
  };
  explicit CacheScrubber(Bytes bytes);

  std::vector<char> buffer_;
  volatile int64_t sink_ = 0;  // keeps the reads from being optimized away
};

}  // namespace convlat::agent
