#pragma once
// The cost of one kernel (or of a platform whose kernels are unknown) as a function of the layer:
// the work-quantization half of the two-mode model.
//
//   latency = fixed + per_wave · waves + per_wave_step · waves · L + per_streamed_step · CTAs · L / slots
//           + Σ per_byte_t · bytes_t
//
// CTAs come from the kernel's work mapping (implicit GEMM, non-fused or fused Winograd) and its
// CTA tile; `slots` CTAs run at once (SMs × CTAs per SM), so the main loop of L reduction steps
// runs in ⌈CTAs/slots⌉ waves. The waves term makes latency climb in steps; the streamed term is
// the same work spread perfectly, for kernels whose last wave is cheap. The byte terms are the
// memory traffic: input, output and filter, plus what the mapping materializes in memory (the
// transformed tensors of non-fused Winograd, the im2col input of explicit GEMM). All coefficients are fitted
// non-negative on relative error, robust to spikes (fit/robust_fit.h), so each reads as a cost.

#include <array>
#include <optional>
#include <span>
#include <string>

#include "model/latency/latency_model.h"
#include "model/layers/conv_shape.h"
#include "model/layers/features.h"
#include "model/two_mode/work_quantization.h"

namespace convlat::model {

struct WorkDecomposition {
  WorkMapping mapping = WorkMapping::kImplicitGemm;
  CtaTile tile{.m = 1, .n = 1};
  int64_t slots = 1;  // CTAs resident at once over the whole device
};

// What the fit may take as given. A tile from the kernel's name is kept; without one, the fit
// searches candidate tiles and keeps the one whose staircase follows the measurements best.
struct CostFitHints {
  CtaTile tile;           // m, n = 0 and no block: unknown, search
  int compute_units = 0;  // 0: unknown, search slots freely
  // Peak DRAM bandwidth. A byte term may cost at most 1 / (kMinByteTermBandwidthShare × this) per
  // byte; one the fit prices higher is left out (0: unknown, every byte term allowed).
  double memory_bandwidth_gbps = 0;
};

// A byte term is memory traffic. One that moves its bytes at under 1 % of the device's DRAM
// bandwidth is not pricing traffic but standing in for compute that correlates with it in the
// fitted layers, and it extrapolates badly: on 25-50 TensorFlow K80 and M60 layers the filter term
// came out at 0.7-1.4 GB/s of 160-240 GB/s and put held-out layers with larger filters at 70-130x
// their time. Fits on all 10k-25k layers of the five Justus GPUs price every byte term at 2.1 % of
// the peak or more (docs/accuracy.md, section "Justus", "A byte term slower than the device moves
// bytes"; tests/model/two_mode/two_mode_model_test.cc).
inline constexpr double kMinByteTermBandwidthShare = 0.01;

class KernelCostModel {
 public:
  enum Term {
    kFixed,
    kWaves,
    kWaveSteps,
    kStreamedSteps,
    kInputBytes,
    kOutputBytes,
    kFilterBytes,
    kTransformedInputBytes,
    kTransformedOutputBytes,
    kTransformedFilterBytes,
    kTerms,
  };

  struct Breakdown {
    int64_t ctas = 0;
    int64_t waves = 0;
    double fixed_us = 0;
    double compute_us = 0;  // the waves, steps and streamed terms
    double memory_us = 0;   // the byte terms
    double total_us() const { return fixed_us + compute_us + memory_us; }
  };

  // nullopt when the samples cannot support a fit (too few, or all degenerate).
  static std::optional<KernelCostModel> Fit(std::span<const Sample* const> samples, const CostFitHints& hints);

  Breakdown Evaluate(const ConvShape& shape) const;
  // The same with the layer's features already computed (`features` = ComputeFeatures(shape)).
  Breakdown Evaluate(const ConvShape& shape, const ConvFeatures& features) const;

  const WorkDecomposition& decomposition() const { return decomposition_; }
  const std::array<double, kTerms>& coefficients() const { return coefficients_; }
  // Share of the fitting samples whose observed CTA count the decomposition reproduces exactly
  // (0 when the samples carried no grids).
  double grid_match_rate() const { return grid_match_rate_; }
  double fit_rmspe() const { return fit_rmspe_; }  // over the samples the robust fit kept, weighted
  // Fitting samples the robust loss left out (timed while something else ran, or just far off).
  int outliers() const { return outliers_; }
  // Byte terms left out because the fit priced them below kMinByteTermBandwidthShare of the peak.
  int implausible_byte_terms() const { return implausible_byte_terms_; }

 private:
  WorkDecomposition decomposition_;
  std::array<double, kTerms> coefficients_{};
  double grid_match_rate_ = 0;
  double fit_rmspe_ = 0;
  int outliers_ = 0;
  int implausible_byte_terms_ = 0;
};

// "128x64", or "fused 1x8x16x32" (images x rows x columns x channels) for a fused-Winograd block.
std::string CtaTileName(WorkMapping mapping, const CtaTile& tile);

}  // namespace convlat::model
