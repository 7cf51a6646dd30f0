#pragma once
// GPU memory for timing a convolution: device buffers, and the rotated input/filter/output sets
// that keep consecutive runs from finding their operands in L2.
//
// Why rotate: a framework reads a layer's weights (and usually its input) from DRAM, but a
// benchmark that runs the same convolution on the same buffers again and again finds them in
// L2 when they fit (50 MB on an H100), and reports a latency no network sees. So when one set of
// input + filter + output is smaller than L2, the backend allocates several sets and runs each
// repetition on the next one: between two uses of a set, the others touch more than twice the
// L2 size, which evicts it. Sets larger than twice L2 evict themselves, so one suffices.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

// Pure: how many sets of `set_bytes` to rotate among so that the other sets touch at least
// 2 x `l2_bytes` between two uses of one set, within `budget_bytes` (at least 1).
int OperandSetsToDefeatL2(int64_t set_bytes, int64_t l2_bytes, int64_t budget_bytes);

// Pure: fills `bytes` with random values in [0.1, 1) encoded as `dtype` (fp32, fp16 or bf16),
// from a seeded generator so runs are repeatable. Never zeros: some kernels skip work on zeros,
// and real activations are not zero.
void FillRandomNonZero(v1::DataType dtype, uint32_t seed, std::span<std::byte> bytes);

// cudaMalloc'd memory, freed with this object.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // RESOURCE_EXHAUSTED when the GPU is out of memory; 0 bytes gives an empty buffer.
  static absl::StatusOr<DeviceBuffer> Allocate(size_t bytes);
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// `sets` copies of (input, filter, output) in one allocation, inputs and filters random.
class OperandSets {
 public:
  static absl::StatusOr<OperandSets> Create(v1::DataType dtype, int64_t input_bytes, int64_t filter_bytes,
                                            int64_t output_bytes, int64_t l2_bytes, int64_t budget_bytes);

  int sets() const { return sets_; }
  void* input(int set) const { return At(set, 0); }
  void* filter(int set) const { return At(set, input_offset_end_); }
  void* output(int set) const { return At(set, filter_offset_end_); }

 private:
  void* At(int set, size_t offset) const;

  DeviceBuffer memory_;
  int sets_ = 0;
  size_t set_stride_ = 0;
  size_t input_offset_end_ = 0;   // the filter starts here (aligned)
  size_t filter_offset_end_ = 0;  // the output starts here (aligned)
};

}  // namespace convlat::agent
