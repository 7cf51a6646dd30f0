#pragma once
// How a convolution is cut into CTA tiles and scheduled in waves over the SMs: the first of
// convlat's two mechanisms (latency climbs in steps, not lines).

#include <cstdint>
#include <string>

#include "model/layers/conv_shape.h"
#include "model/layers/features.h"

namespace convlat::model {

// The work a kernel actually runs for a convolution. Each was checked against the launch grids
// of the public NeuSight data (see work_quantization_test).
enum class WorkMapping {
  // Implicit GEMM: M = N·P·Q, N = K/groups, per group.
  kImplicitGemm,
  // Explicit GEMM: the same GEMM after im2col writes the unrolled input (N·P·Q x C·R·S/groups) to
  // memory, as CPU gemm convolutions (oneDNN's gemm:jit) and cuDNN's GEMM algorithm do; a
  // pointwise convolution (1x1, stride 1, no padding) needs no im2col.
  kExplicitGemm,
  // Non-fused Winograd F(4x4, 3x3): 36 batched GEMMs of M = ⌈N/16⌉·16·⌈P/4⌉·⌈Q/4⌉ tiles, N = K
  // (cuDNN pads the batch to 16 in the transformed tensors).
  kWinograd4x4,
  // Non-fused Winograd F(2x2, 3x3): 16 batched GEMMs, padded the same way (no public grid to
  // confirm the padding).
  kWinograd2x2,
  // Fused Winograd (cuDNN's scudnn_winograd_..._tileBHWt kernels): each CTA computes a block of
  // images x output pixels x 32 output channels.
  kFusedWinograd,
};
// The mappings a fit may search when a kernel's name does not settle it (the fused one needs the
// block that only its name gives).
inline constexpr WorkMapping kGemmWorkMappings[] = {WorkMapping::kImplicitGemm, WorkMapping::kExplicitGemm,
                                                    WorkMapping::kWinograd4x4, WorkMapping::kWinograd2x2};
std::string WorkMappingName(WorkMapping mapping);

// The output block of one fused-Winograd CTA. cuDNN writes it in the kernel name as
// "tile<B><H><W>t": B images, H x W Winograd 2x2 output tiles, i.e. 2H x 2W pixels; every such
// kernel in the public data computes 32 output channels per CTA.
struct FusedWinogradBlock {
  int batch = 0;  // 0: not a fused-Winograd kernel
  int p = 0;      // output rows per CTA
  int q = 0;      // output columns per CTA
  int channels = 32;
};

// What one CTA computes: an Mt x Nt tile of a GEMM, or a fused-Winograd block. Split-K kernels
// cut the reduction into `split_k` slices, one CTA each (their grid is that many times larger).
struct CtaTile {
  int m = 0;
  int n = 0;
  FusedWinogradBlock block;
  int split_k = 1;
};

// Whether a kernel of this mapping can run the layer at all: cuDNN's Winograd kernels (fused and
// non-fused) compute 3x3, stride-1, undilated convolutions only; GEMM mappings run anything.
bool MappingApplies(WorkMapping mapping, const ConvShape& shape);

// CTAs of an implicit-GEMM kernel with an Mt x Nt output tile: ⌈N·P·Q / Mt⌉ · ⌈K/groups / Nt⌉ per
// group. Checked against every implicit-GEMM kernel's grid in the public NeuSight data.
int64_t ImplicitGemmCtas(const ConvShape& shape, int tile_m, int tile_n);

// CTAs of a kernel that runs `mapping` with `tile`: the product of LaunchGrid's three axes.
int64_t CtasFor(const ConvShape& shape, WorkMapping mapping, const CtaTile& tile);

// The launch grid in the axis order cuDNN uses (checked against the public NeuSight grids):
// GEMM mappings (⌈M/Mt⌉, ⌈N/Nt⌉, groups · split-K), non-fused Winograd the same with the transform
// points on z, fused Winograd (⌈n/B⌉ · ⌈K/32⌉ · groups, ⌈P/rows⌉, ⌈Q/columns⌉). All 0 for a fused
// mapping without a block.
struct GridDims {
  int64_t x = 0, y = 0, z = 0;
  int64_t ctas() const { return x * y * z; }
};
GridDims LaunchGrid(const ConvShape& shape, WorkMapping mapping, const CtaTile& tile);
// The same with the layer's output size taken from `features` (= ComputeFeatures(shape)): a
// prediction evaluates several staircases on one layer, and P and Q cost an integer division each.
GridDims LaunchGrid(const ConvShape& shape, const ConvFeatures& features, WorkMapping mapping, const CtaTile& tile);

// Iterations of a CTA's main loop, in reduction elements: C·R·S/groups for implicit GEMM, C/groups
// for Winograd (the filter taps are folded into the transform).
int64_t ReductionLength(const ConvShape& shape, WorkMapping mapping);

// Elements a mapping writes and reads back through memory besides the operands: non-fused
// Winograd's transformed input, output and filter; explicit GEMM's unrolled input. Zero otherwise.
struct TransformedElements {
  double input = 0;
  double output = 0;
  double filter = 0;
};
TransformedElements MaterializedTransforms(const ConvShape& shape, WorkMapping mapping);
TransformedElements MaterializedTransforms(const ConvShape& shape, const ConvFeatures& features, WorkMapping mapping);

// Waves of `ctas` when `concurrent_ctas` (SMs × CTAs resident per SM) run at once.
int64_t Waves(int64_t ctas, int64_t concurrent_ctas);

}  // namespace convlat::model
