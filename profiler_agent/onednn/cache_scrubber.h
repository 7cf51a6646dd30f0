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
  // The size to read for a last-level cache: twice it, and at least 16 MiB. The agent checks that
  // size before using it, and may take a larger one (eviction_check.h).
  static size_t BytesFor(int64_t last_level_cache_bytes);
  // Reads `bytes` (at least one cache line) each time.
  explicit CacheScrubber(size_t bytes);

  // Reads every cache line of the buffer, split over the OpenMP threads (the threads oneDNN runs
  // on), so every core's private caches are evicted too.
  void Scrub();
  size_t bytes() const { return buffer_.size(); }

 private:
  std::vector<char> buffer_;
  volatile int64_t sink_ = 0;  // keeps the reads from being optimized away
};

}  // namespace convlat::agent
