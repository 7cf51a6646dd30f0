#include "model/transfer/transfer_features.h"

#include <algorithm>
#include <cmath>

#include "model/layers/features.h"

namespace convlat::model {
namespace {

// A typical implicit-GEMM CTA tile (128 output pixels x 64 filters): only to count waves, so the
// exact tile matters less than counting the same way on every GPU.
constexpr double kTileM = 128, kTileN = 64;
// What an unknown L2 is taken to be: between the sources' 1.5 MiB and 6 MiB.
constexpr double kDefaultL2Bytes = 2.0 * (1 << 20);

double SafeLog(double value) { return std::log(std::max(value, 1e-9)); }

}  // namespace

double SpecRooflineUs(const ConvShape& shape, const TransferSpec& spec) {
  const ConvFeatures f = ComputeFeatures(shape);
  const double compute_us = spec.peak_gflops > 0 ? f.flops / (spec.peak_gflops * 1e3) : 0;
  const double memory_us = spec.bandwidth_gbps > 0 ? f.bytes() / (spec.bandwidth_gbps * 1e3) : 0;
  return std::max({compute_us, memory_us, 1e-6});
}

TransferFeatures ComputeTransferFeatures(const ConvShape& shape, const TransferSpec& spec) {
  const ConvFeatures f = ComputeFeatures(shape);
  const double compute_us = f.flops / (spec.peak_gflops * 1e3);
  const double memory_us = f.bytes() / (spec.bandwidth_gbps * 1e3);
  const double ctas = std::ceil(f.gemm_m / kTileM) * std::ceil(f.gemm_n / kTileN) * shape.groups;
  const double l2 = spec.l2_cache_bytes > 0 ? static_cast<double>(spec.l2_cache_bytes) : kDefaultL2Bytes;
  return {
      SafeLog(compute_us),
      SafeLog(memory_us),
      SafeLog(compute_us) - SafeLog(memory_us),  // above 0: compute-bound on this GPU
      SafeLog(ctas / std::max(spec.sms, 1)),     // waves of CTAs over the SMs
      SafeLog(f.gemm_k),
      SafeLog(f.gemm_n),
      static_cast<double>(shape.r * shape.s),
      static_cast<double>(shape.stride_h),
      SafeLog(f.bytes() / l2),
      spec.tensorflow_runtime ? 1.0 : 0.0,
      SafeLog(spec.peak_gflops / spec.bandwidth_gbps),  // the GPU's ridge point, flops per byte
      SafeLog(spec.fp32_lanes_per_sm),                  // the SM's width (transfer_features.h)
  };
}

}  // namespace convlat::model
