#pragma once
// A buffer of one index per cache line, linked into a single cycle in a random order: following it
// makes each load wait for the one before, and no prefetcher can guess the next line, so the time
// of a lap says where the buffer's lines were (private cache, last-level cache or memory).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convlat::agent {

class PointerChase {
 public:
  // `bytes` rounded down to whole cache lines (at least one).
  explicit PointerChase(size_t bytes);
  // Nanoseconds to follow the whole cycle once.
  int64_t TimeOneLap();
  size_t bytes() const { return next_.size() * sizeof(uint32_t); }

 private:
  std::vector<uint32_t> next_;
  volatile uint32_t sink_ = 0;
};

// The median of the values (the upper one of an even count); 0 for none.
int64_t MedianNs(std::vector<int64_t> values);

}  // namespace convlat::agent
