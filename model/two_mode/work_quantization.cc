#include "model/two_mode/work_quantization.h"

#include <algorithm>

namespace convlat::model {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }

// Non-fused Winograd F(t x t, 3x3) transforms each (t+2) x (t+2) input patch, so it runs
// (t+2)² batched GEMMs; cuDNN pads the batch of the transformed tensors to 16.
constexpr int64_t kWinogradBatchPadding = 16;

int WinogradOutputTile(WorkMapping mapping) { return mapping == WorkMapping::kWinograd4x4 ? 4 : 2; }

// The output size P x Q travels with the shape below: computed once per layer by the caller.
struct OutputSize {
  int64_t p = 0, q = 0;
};
OutputSize OutputSizeOf(const ConvShape& shape) { return {shape.p(), shape.q()}; }
OutputSize OutputSizeOf(const ConvFeatures& features) { return {features.p, features.q}; }

int64_t WinogradTiles(const ConvShape& shape, OutputSize out, int output_tile) {
  const int64_t padded_batch = CeilDiv(shape.n, kWinogradBatchPadding) * kWinogradBatchPadding;
  return padded_batch * CeilDiv(out.p, output_tile) * CeilDiv(out.q, output_tile);
}

int64_t SplitK(const CtaTile& tile) { return std::max(1, tile.split_k); }

GridDims LaunchGridAt(const ConvShape& shape, OutputSize out, WorkMapping mapping, const CtaTile& tile) {
  const int64_t channels_out = shape.k / shape.groups;
  switch (mapping) {
    case WorkMapping::kImplicitGemm:
    case WorkMapping::kExplicitGemm:
      return {CeilDiv(shape.n * out.p * out.q, tile.m), CeilDiv(channels_out, tile.n), shape.groups * SplitK(tile)};
    case WorkMapping::kWinograd4x4:
    case WorkMapping::kWinograd2x2: {
      const int output_tile = WinogradOutputTile(mapping);
      const int64_t transform_points = (output_tile + 2) * (output_tile + 2);
      return {CeilDiv(WinogradTiles(shape, out, output_tile), tile.m), CeilDiv(channels_out, tile.n),
              transform_points * shape.groups * SplitK(tile)};
    }
    case WorkMapping::kFusedWinograd: {
      const FusedWinogradBlock& block = tile.block;
      if (block.batch <= 0) return {};
      return {CeilDiv(shape.n, block.batch) * CeilDiv(channels_out, block.channels) * shape.groups,
              CeilDiv(out.p, block.p), CeilDiv(out.q, block.q)};
    }
  }
  return {};
}

TransformedElements MaterializedTransformsAt(const ConvShape& shape, OutputSize out, WorkMapping mapping) {
  if (mapping == WorkMapping::kExplicitGemm) {
    const bool pointwise = shape.r == 1 && shape.s == 1 && shape.stride_h == 1 && shape.stride_w == 1 &&
                           shape.pad_h == 0 && shape.pad_w == 0;
    if (pointwise) return {};
    return {.input = static_cast<double>(shape.n * out.p * out.q) * static_cast<double>(shape.c * shape.r * shape.s)};
  }
  if (mapping != WorkMapping::kWinograd4x4 && mapping != WorkMapping::kWinograd2x2) return {};
  const int output_tile = WinogradOutputTile(mapping);
  const double points = (output_tile + 2) * (output_tile + 2);
  const double tiles = static_cast<double>(WinogradTiles(shape, out, output_tile));
  return {.input = points * tiles * static_cast<double>(shape.c),
          .output = points * tiles * static_cast<double>(shape.k),
          .filter = points * static_cast<double>(shape.k) * static_cast<double>(shape.c / shape.groups)};
}

}  // namespace

std::string WorkMappingName(WorkMapping mapping) {
  switch (mapping) {
    case WorkMapping::kImplicitGemm: return "implicit_gemm";
    case WorkMapping::kExplicitGemm: return "explicit_gemm";
    case WorkMapping::kWinograd4x4: return "winograd_4x4";
    case WorkMapping::kWinograd2x2: return "winograd_2x2";
    case WorkMapping::kFusedWinograd: return "fused_winograd";
  }
  return "unknown";
}

bool MappingApplies(WorkMapping mapping, const ConvShape& shape) {
  if (mapping == WorkMapping::kImplicitGemm || mapping == WorkMapping::kExplicitGemm) return true;
  return shape.r == 3 && shape.s == 3 && shape.stride_h == 1 && shape.stride_w == 1 && shape.dilation_h == 1 &&
         shape.dilation_w == 1;
}

int64_t ImplicitGemmCtas(const ConvShape& shape, int tile_m, int tile_n) {
  return LaunchGrid(shape, WorkMapping::kImplicitGemm, CtaTile{.m = tile_m, .n = tile_n}).ctas();
}

GridDims LaunchGrid(const ConvShape& shape, WorkMapping mapping, const CtaTile& tile) {
  return LaunchGridAt(shape, OutputSizeOf(shape), mapping, tile);
}

GridDims LaunchGrid(const ConvShape& shape, const ConvFeatures& features, WorkMapping mapping, const CtaTile& tile) {
  return LaunchGridAt(shape, OutputSizeOf(features), mapping, tile);
}

int64_t CtasFor(const ConvShape& shape, WorkMapping mapping, const CtaTile& tile) {
  return LaunchGrid(shape, mapping, tile).ctas();
}

int64_t ReductionLength(const ConvShape& shape, WorkMapping mapping) {
  const int64_t channels = shape.c / shape.groups;
  const bool winograd = mapping == WorkMapping::kWinograd4x4 || mapping == WorkMapping::kWinograd2x2 ||
                        mapping == WorkMapping::kFusedWinograd;
  return winograd ? channels : channels * shape.r * shape.s;
}

TransformedElements MaterializedTransforms(const ConvShape& shape, WorkMapping mapping) {
  return MaterializedTransformsAt(shape, OutputSizeOf(shape), mapping);
}

TransformedElements MaterializedTransforms(const ConvShape& shape, const ConvFeatures& features, WorkMapping mapping) {
  return MaterializedTransformsAt(shape, OutputSizeOf(features), mapping);
}

int64_t Waves(int64_t ctas, int64_t concurrent_ctas) { return CeilDiv(ctas, concurrent_ctas); }

}  // namespace convlat::model
