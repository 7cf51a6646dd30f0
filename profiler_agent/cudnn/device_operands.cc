#include "profiler_agent/cudnn/device_operands.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "profiler_agent/cudnn/cuda_status.h"

namespace convlat::agent {
namespace {

// cuDNN's vectorised kernels want well-aligned operands; 256 bytes is what cudaMalloc gives.
constexpr size_t kOperandAlignment = 256;

size_t AlignUp(size_t bytes) { return (bytes + kOperandAlignment - 1) / kOperandAlignment * kOperandAlignment; }

uint32_t FloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

// IEEE half of a normal float in [0.1, 1): rebias the exponent, keep the top 10 mantissa bits.
uint16_t HalfBits(float value) {
  const uint32_t bits = FloatBits(value);
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  return static_cast<uint16_t>((exponent << 10) | ((bits >> 13) & 0x3ff));
}

}  // namespace

int OperandSetsToDefeatL2(int64_t set_bytes, int64_t l2_bytes, int64_t budget_bytes) {
  if (set_bytes <= 0 || l2_bytes <= 0 || set_bytes >= 2 * l2_bytes) return 1;
  const int64_t wanted = 1 + (2 * l2_bytes + set_bytes - 1) / set_bytes;
  const int64_t affordable = std::max<int64_t>(1, budget_bytes / set_bytes);
  return static_cast<int>(std::min(wanted, affordable));
}

void FillRandomNonZero(v1::DataType dtype, uint32_t seed, std::span<std::byte> bytes) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(0.1f, 1.0f);
  if (dtype == v1::DATA_TYPE_FP16 || dtype == v1::DATA_TYPE_BF16) {
    for (size_t i = 0; i + 2 <= bytes.size(); i += 2) {
      const float f = value(rng);
      const uint16_t bits = dtype == v1::DATA_TYPE_FP16 ? HalfBits(f) : static_cast<uint16_t>(FloatBits(f) >> 16);
      std::memcpy(bytes.data() + i, &bits, 2);
    }
    return;
  }
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    const float f = value(rng);
    std::memcpy(bytes.data() + i, &f, 4);
  }
}

absl::StatusOr<DeviceBuffer> DeviceBuffer::Allocate(size_t bytes) {
  DeviceBuffer buffer;
  if (bytes == 0) return buffer;
  if (absl::Status s = CudaStatus(cudaMalloc(&buffer.data_, bytes), absl::StrCat("cudaMalloc(", bytes, " bytes)"));
      !s.ok()) {
    cudaGetLastError();  // an allocation failure must not poison the next call
    buffer.data_ = nullptr;
    return s;
  }
  buffer.size_ = bytes;
  return buffer;
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) cudaFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr) cudaFree(data_);
}

absl::StatusOr<OperandSets> OperandSets::Create(v1::DataType dtype, int64_t input_bytes, int64_t filter_bytes,
                                                int64_t output_bytes, int64_t l2_bytes, int64_t budget_bytes) {
  return CreateParts(dtype, {input_bytes, filter_bytes, output_bytes}, l2_bytes, budget_bytes);
}

absl::StatusOr<OperandSets> OperandSets::CreateParts(v1::DataType dtype, const std::vector<int64_t>& part_bytes,
                                                     int64_t l2_bytes, int64_t budget_bytes) {
  OperandSets operands;
  for (int64_t bytes : part_bytes) {
    operands.part_offsets_.push_back(operands.set_stride_);
    operands.set_stride_ += AlignUp(static_cast<size_t>(bytes));
  }
  operands.sets_ = OperandSetsToDefeatL2(static_cast<int64_t>(operands.set_stride_), l2_bytes, budget_bytes);
  absl::StatusOr<DeviceBuffer> memory = DeviceBuffer::Allocate(operands.set_stride_ * operands.sets_);
  if (!memory.ok()) return memory.status();
  operands.memory_ = std::move(*memory);

  // Random values for one set on the host; the other sets are device copies of it. Identical
  // values at different addresses defeat L2 just as well, without generating gigabytes on the CPU.
  std::vector<std::byte> host(operands.set_stride_);
  FillRandomNonZero(dtype, /*seed=*/42, host);
  auto* base = static_cast<std::byte*>(operands.memory_.data());
  absl::Status status = CudaStatus(cudaMemcpy(base, host.data(), host.size(), cudaMemcpyHostToDevice), "cudaMemcpy");
  for (size_t filled = 1; status.ok() && filled < static_cast<size_t>(operands.sets_);) {
    const size_t copy = std::min(filled, static_cast<size_t>(operands.sets_) - filled);
    status = CudaStatus(
        cudaMemcpy(base + filled * operands.set_stride_, base, copy * operands.set_stride_, cudaMemcpyDeviceToDevice),
        "cudaMemcpy");
    filled += copy;
  }
  if (!status.ok()) return status;
  return operands;
}

void* OperandSets::At(int set, size_t offset) const {
  return static_cast<std::byte*>(memory_.data()) + static_cast<size_t>(set % sets_) * set_stride_ + offset;
}

}  // namespace convlat::agent
