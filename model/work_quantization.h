#pragma once
// How an implicit-GEMM convolution is cut into CTA tiles and scheduled in waves over the SMs:
// the first of convlat's two mechanisms (latency climbs in steps, not lines).

#include <cstdint>

#include "model/conv_shape.h"

namespace convlat::model {

// CTAs of an implicit-GEMM kernel with an Mt x Nt output tile: ⌈N·P·Q / Mt⌉ · ⌈K/groups / Nt⌉ per
// group. Checked against every implicit-GEMM kernel's grid in the public NeuSight data.
int64_t ImplicitGemmCtas(const ConvShape& shape, int tile_m, int tile_n);

// Waves of `ctas` when `concurrent_ctas` (SMs × CTAs resident per SM) run at once.
int64_t Waves(int64_t ctas, int64_t concurrent_ctas);

}  // namespace convlat::model
