#include "model/layers/features.h"

namespace convlat::model {

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

}  // namespace convlat::model
