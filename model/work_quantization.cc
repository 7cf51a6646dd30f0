#include "model/work_quantization.h"

namespace convlat::model {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }

int64_t WinogradCtas(const ConvShape& shape, int output_tile, int tile_m, int tile_n) {
  const int64_t transform_points = (output_tile + 2) * (output_tile + 2);  // 3x3 filter
  const int64_t tiles = shape.n * CeilDiv(shape.p(), output_tile) * CeilDiv(shape.q(), output_tile);
  return CeilDiv(tiles, tile_m) * CeilDiv(shape.k / shape.groups, tile_n) * shape.groups * transform_points;
}

}  // namespace

std::string WorkMappingName(WorkMapping mapping) {
  switch (mapping) {
    case WorkMapping::kImplicitGemm: return "implicit_gemm";
    case WorkMapping::kWinograd4x4: return "winograd_4x4";
    case WorkMapping::kWinograd2x2: return "winograd_2x2";
  }
  return "unknown";
}

int64_t ImplicitGemmCtas(const ConvShape& shape, int tile_m, int tile_n) {
  const int64_t gemm_m = shape.n * shape.p() * shape.q();
  const int64_t gemm_n = shape.k / shape.groups;
  return CeilDiv(gemm_m, tile_m) * CeilDiv(gemm_n, tile_n) * shape.groups;
}

int64_t CtasFor(const ConvShape& shape, WorkMapping mapping, int tile_m, int tile_n) {
  switch (mapping) {
    case WorkMapping::kImplicitGemm: return ImplicitGemmCtas(shape, tile_m, tile_n);
    case WorkMapping::kWinograd4x4: return WinogradCtas(shape, 4, tile_m, tile_n);
    case WorkMapping::kWinograd2x2: return WinogradCtas(shape, 2, tile_m, tile_n);
  }
  return 0;
}

int64_t Waves(int64_t ctas, int64_t concurrent_ctas) { return CeilDiv(ctas, concurrent_ctas); }

}  // namespace convlat::model
