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

// `sets` copies of a layer's operands in one allocation, every part random (outputs too: they
// are overwritten). A convolution's parts are (input, filter, output); an op's are its input,
// its other operands, then its output (gpu_op_plan.h).
class OperandSets {
 public:
  static absl::StatusOr<OperandSets> Create(v1::DataType dtype, int64_t input_bytes, int64_t filter_bytes,
                                            int64_t output_bytes, int64_t l2_bytes, int64_t budget_bytes);
  static absl::StatusOr<OperandSets> CreateParts(v1::DataType dtype, const std::vector<int64_t>& part_bytes,
                                                 int64_t l2_bytes, int64_t budget_bytes);

  int sets() const { return sets_; }
  int parts() const { return static_cast<int>(part_offsets_.size()); }
  void* part(int set, int index) const { return At(set, part_offsets_[index]); }
  void* input(int set) const { return part(set, 0); }
  void* filter(int set) const { return part(set, 1); }
  void* output(int set) const { return part(set, 2); }

 private:
  void* At(int set, size_t offset) const;

  DeviceBuffer memory_;
  int sets_ = 0;
  size_t set_stride_ = 0;
  std::vector<size_t> part_offsets_;  // within a set, each aligned
};

}  // namespace convlat::agent
