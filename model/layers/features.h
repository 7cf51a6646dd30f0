#pragma once
// Hardware-independent features of a convolution, from its implicit-GEMM mapping.

#include <cstdint>

#include "model/layers/conv_shape.h"

namespace convlat::model {

struct ConvFeatures {
  // Implicit GEMM: M = N·P·Q, N = K (per group), K = C·R·S/groups.
  double gemm_m = 0;
  double gemm_n = 0;
  double gemm_k = 0;
  double flops = 0;  // 2 multiply-adds per MAC, over all groups
  double input_bytes = 0;
  double filter_bytes = 0;
  double output_bytes = 0;
  // The output's height and width (ConvShape::p(), q()): each costs an integer division, and a
  // prediction reads them in several places.
  int64_t p = 0;
  int64_t q = 0;
  double bytes() const { return input_bytes + filter_bytes + output_bytes; }
};

ConvFeatures ComputeFeatures(const ConvShape& shape);

}  // namespace convlat::model
