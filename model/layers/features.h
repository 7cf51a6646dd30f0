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

// log2 of the layer's sizes, each floored at 1 (so 0 for a size of 1), as the two-mode model's
// kernel classifier and residual correction both read them: computed once per layer and shared,
// since a log2 costs about as much as a level of the correction's trees.
struct ConvLogSizes {
  double n = 0, c = 0, h = 0, w = 0, k = 0, groups = 0;
  double pq = 0;  // output pixels P·Q
  double gemm_m = 0, gemm_n = 0, gemm_k = 0;
};

// `features` = ComputeFeatures(shape).
ConvLogSizes ComputeLogSizes(const ConvShape& shape, const ConvFeatures& features);

// std::log2(std::max(size, 1)), to the last bit, without a libm call for sizes up to 1,024
// (batches, channels, heights, widths, groups, waves): those come from a table std::log2 filled.
double Log2Size(int64_t size);

}  // namespace convlat::model
