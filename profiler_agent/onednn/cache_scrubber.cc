#include "profiler_agent/onednn/cache_scrubber.h"

#include <algorithm>
#include <cstdint>

namespace convlat::agent {
namespace {

constexpr size_t kMinBytes = size_t{16} << 20;
constexpr size_t kCacheLine = 64;

}  // namespace

size_t CacheScrubber::BytesFor(int64_t last_level_cache_bytes) {
  return std::max(kMinBytes, 2 * static_cast<size_t>(std::max<int64_t>(0, last_level_cache_bytes)));
}

CacheScrubber::CacheScrubber(size_t bytes) : buffer_(std::max(kCacheLine, bytes), 1) {}

void CacheScrubber::Scrub() {
  const char* data = buffer_.data();
  const int64_t lines = static_cast<int64_t>(buffer_.size() / kCacheLine);
  int64_t sum = 0;
  // Reads, not writes: the lines it leaves behind are clean, so the timed run pays no write-backs
  // of the scrubber's data.
#pragma omp parallel for schedule(static) reduction(+ : sum)
  for (int64_t line = 0; line < lines; ++line) sum += data[line * kCacheLine];
  sink_ = sum;
}

}  // namespace convlat::agent
