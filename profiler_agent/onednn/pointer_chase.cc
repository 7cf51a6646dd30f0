#include "profiler_agent/onednn/pointer_chase.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

namespace convlat::agent {
namespace {

constexpr size_t kLine = 64;
constexpr size_t kStride = kLine / sizeof(uint32_t);

}  // namespace

PointerChase::PointerChase(size_t bytes) : next_(std::max<size_t>(1, bytes / kLine) * kStride) {
  std::vector<uint32_t> lines(next_.size() / kStride);
  for (uint32_t i = 0; i < lines.size(); ++i) lines[i] = i;
  std::mt19937 random(42);
  for (size_t i = lines.size() - 1; i > 0; --i) {  // Sattolo: a random permutation of one cycle
    std::swap(lines[i], lines[std::uniform_int_distribution<size_t>(0, i - 1)(random)]);
  }
  for (size_t i = 0; i < lines.size(); ++i) next_[lines[i] * kStride] = lines[(i + 1) % lines.size()] * kStride;
}

int64_t PointerChase::TimeOneLap() {
  const auto start = std::chrono::steady_clock::now();
  uint32_t at = 0;
  for (size_t i = 0; i < next_.size() / kStride; ++i) at = next_[at];
  const auto end = std::chrono::steady_clock::now();
  sink_ = at;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
}

int64_t MedianNs(std::vector<int64_t> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

}  // namespace convlat::agent
