#include "model/layers/features.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace convlat::model {
namespace {

constexpr int64_t kTabulatedLog2 = 1024;

// Filled once, by std::log2 itself, so a lookup returns exactly what the call would. A local
// static: filled on first use, whatever order the program's static initializers run in.
const std::array<double, kTabulatedLog2 + 1>& Log2Table() {
  static const std::array<double, kTabulatedLog2 + 1> table = [] {
    std::array<double, kTabulatedLog2 + 1> t{};
    for (int64_t i = 1; i <= kTabulatedLog2; ++i) t[i] = std::log2(static_cast<double>(i));
    return t;
  }();
  return table;
}

}  // namespace

double Log2Size(int64_t size) {
  if (size <= kTabulatedLog2) return Log2Table()[std::max<int64_t>(size, 1)];
  return std::log2(static_cast<double>(size));
}

ConvFeatures ComputeFeatures(const ConvShape& shape) {
  ConvFeatures f;
  f.p = shape.p();
  f.q = shape.q();
  const double p = static_cast<double>(f.p);
  const double q = static_cast<double>(f.q);
  const double groups = static_cast<double>(shape.groups);
  f.gemm_m = static_cast<double>(shape.n) * p * q;
  f.gemm_n = static_cast<double>(shape.k) / groups;
  f.gemm_k = static_cast<double>(shape.c) / groups * shape.r * shape.s;
  f.flops = 2.0 * f.gemm_m * f.gemm_n * f.gemm_k * groups;
  const double element = BytesPerElement(shape.dtype);
  f.input_bytes = element * shape.n * shape.c * shape.h * shape.w;
  f.filter_bytes = element * f.gemm_n * groups * f.gemm_k;
  f.output_bytes = element * f.gemm_m * shape.k;
  return f;
}

ConvLogSizes ComputeLogSizes(const ConvShape& shape, const ConvFeatures& f) {
  auto log2 = [](double v) { return std::log2(std::max(v, 1.0)); };
  return {.n = Log2Size(shape.n),
          .c = Log2Size(shape.c),
          .h = Log2Size(shape.h),
          .w = Log2Size(shape.w),
          .k = Log2Size(shape.k),
          .groups = Log2Size(shape.groups),
          .pq = Log2Size(f.p * f.q),
          .gemm_m = log2(f.gemm_m),
          .gemm_n = log2(f.gemm_n),
          .gemm_k = log2(f.gemm_k)};
}

}  // namespace convlat::model
