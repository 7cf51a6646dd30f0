#pragma once
// How a convolution is cut into CTA tiles and scheduled in waves over the SMs: the first of
// convlat's two mechanisms (latency climbs in steps, not lines).

#include <cstdint>
#include <string>

#include "model/conv_shape.h"

namespace convlat::model {

// The GEMM a kernel actually runs for a convolution. Each was checked against the launch grids
// of the public NeuSight data (see work_quantization_test).
enum class WorkMapping {
  // Implicit GEMM: M = N·P·Q, N = K/groups, per group.
  kImplicitGemm,
  // Non-fused Winograd F(4x4, 3x3): 36 batched GEMMs of M = N·⌈P/4⌉·⌈Q/4⌉ tiles, N = K.
  kWinograd4x4,
  // Non-fused Winograd F(2x2, 3x3): 16 batched GEMMs of M = N·⌈P/2⌉·⌈Q/2⌉, N = K.
  kWinograd2x2,
};
inline constexpr WorkMapping kAllWorkMappings[] = {WorkMapping::kImplicitGemm, WorkMapping::kWinograd4x4,
                                                   WorkMapping::kWinograd2x2};
std::string WorkMappingName(WorkMapping mapping);

// CTAs of an implicit-GEMM kernel with an Mt x Nt output tile: ⌈N·P·Q / Mt⌉ · ⌈K/groups / Nt⌉ per
// group. Checked against every implicit-GEMM kernel's grid in the public NeuSight data.
int64_t ImplicitGemmCtas(const ConvShape& shape, int tile_m, int tile_n);

// CTAs of a kernel that runs `mapping` with an Mt x Nt tile.
int64_t CtasFor(const ConvShape& shape, WorkMapping mapping, int tile_m, int tile_n);

// Waves of `ctas` when `concurrent_ctas` (SMs × CTAs resident per SM) run at once.
int64_t Waves(int64_t ctas, int64_t concurrent_ctas);

}  // namespace convlat::model
