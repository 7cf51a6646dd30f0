#include "model/work_quantization.h"

namespace convlat::model {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }

}  // namespace

int64_t ImplicitGemmCtas(const ConvShape& shape, int tile_m, int tile_n) {
  const int64_t gemm_m = shape.n * shape.p() * shape.q();
  const int64_t gemm_n = shape.k / shape.groups;
  return CeilDiv(gemm_m, tile_m) * CeilDiv(gemm_n, tile_n) * shape.groups;
}

int64_t Waves(int64_t ctas, int64_t concurrent_ctas) { return CeilDiv(ctas, concurrent_ctas); }

}  // namespace convlat::model
