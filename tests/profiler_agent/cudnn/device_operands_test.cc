// The host side of the GPU operands: how many buffer sets defeat L2, and the random fill.
#include "profiler_agent/cudnn/device_operands.h"

#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kH100L2 = 50 * kMiB;
constexpr int64_t kLargeBudget = int64_t{40} << 30;

TEST(OperandSetsTest, SmallSetsRotateUntilTheOthersCoverTwiceL2) {
  EXPECT_EQ(OperandSetsToDefeatL2(1 * kMiB, kH100L2, kLargeBudget), 101);
  EXPECT_EQ(OperandSetsToDefeatL2(30 * kMiB, kH100L2, kLargeBudget), 5);
  // The other sets really do touch at least twice L2 between two uses of one set.
  for (int64_t set_bytes : {int64_t{4096}, 3 * kMiB, 33 * kMiB, 99 * kMiB}) {
    const int sets = OperandSetsToDefeatL2(set_bytes, kH100L2, kLargeBudget);
    EXPECT_GE((sets - 1) * set_bytes, 2 * kH100L2) << set_bytes;
  }
}

TEST(OperandSetsTest, SetsBeyondTwiceL2EvictThemselves) {
  EXPECT_EQ(OperandSetsToDefeatL2(100 * kMiB, kH100L2, kLargeBudget), 1);
  EXPECT_EQ(OperandSetsToDefeatL2(4000 * kMiB, kH100L2, kLargeBudget), 1);
}

TEST(OperandSetsTest, MemoryBudgetAndUnknownL2) {
  EXPECT_EQ(OperandSetsToDefeatL2(1 * kMiB, kH100L2, 10 * kMiB), 10);
  EXPECT_EQ(OperandSetsToDefeatL2(1 * kMiB, kH100L2, 0), 1);
  EXPECT_EQ(OperandSetsToDefeatL2(1 * kMiB, 0, kLargeBudget), 1);
}

float FromHalf(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  EXPECT_NE(exponent, 0) << "subnormal or zero";
  EXPECT_NE(exponent, 0x1f) << "inf or NaN";
  return std::ldexp(1.0f + mantissa / 1024.0f, exponent - 15) * ((bits & 0x8000) ? -1 : 1);
}

float FromBf16(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

TEST(FillRandomNonZeroTest, Fp32ValuesInRange) {
  std::vector<std::byte> bytes(4 * 1000);
  FillRandomNonZero(v1::DATA_TYPE_FP32, 7, bytes);
  std::vector<float> values(1000);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  for (float v : values) {
    EXPECT_GE(v, 0.1f);
    EXPECT_LT(v, 1.0f);
  }
  EXPECT_NE(values[0], values[1]);
}

TEST(FillRandomNonZeroTest, HalfPrecisionsEncodeNormalNonZeroValues) {
  for (v1::DataType dtype : {v1::DATA_TYPE_FP16, v1::DATA_TYPE_BF16}) {
    std::vector<std::byte> bytes(2 * 1000);
    FillRandomNonZero(dtype, 7, bytes);
    for (size_t i = 0; i < bytes.size(); i += 2) {
      uint16_t bits;
      std::memcpy(&bits, bytes.data() + i, 2);
      const float value = dtype == v1::DATA_TYPE_FP16 ? FromHalf(bits) : FromBf16(bits);
      EXPECT_GE(value, 0.099f) << i;
      EXPECT_LT(value, 1.0f) << i;
    }
  }
}

TEST(FillRandomNonZeroTest, SameSeedSameValues) {
  std::vector<std::byte> a(256), b(256), c(256);
  FillRandomNonZero(v1::DATA_TYPE_FP16, 42, a);
  FillRandomNonZero(v1::DATA_TYPE_FP16, 42, b);
  FillRandomNonZero(v1::DATA_TYPE_FP16, 43, c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace convlat::agent
