#include "model/two_mode/kernel_cost_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/fit/robust_fit.h"
#include "model/layers/features.h"

namespace convlat::model {
namespace {

constexpr int kTileCandidates[] = {8, 16, 32, 64, 128, 256};
// CTAs resident per SM that the fit tries when the SM count is known.
constexpr int kCtasPerUnitCandidates[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};
// Fewer samples than this cannot pin down a staircase.
constexpr size_t kMinSamples = 8;

struct Terms {
  std::array<double, KernelCostModel::kTerms> values;
  int64_t ctas;
  int64_t waves;
};

Terms TermsOf(const ConvShape& shape, const WorkDecomposition& d) {
  const ConvFeatures f = ComputeFeatures(shape);
  const int64_t ctas = CtasFor(shape, d.mapping, d.tile);
  const int64_t waves = Waves(ctas, d.slots);
  // A split-K kernel's CTA runs one slice of the reduction.
  const double steps = static_cast<double>(ReductionLength(shape, d.mapping)) / std::max(1, d.tile.split_k);
  const TransformedElements transformed = MaterializedTransforms(shape, d.mapping);
  const double element_bytes = BytesPerElement(shape.dtype);
  Terms terms{{}, ctas, waves};
  auto& x = terms.values;
  x[KernelCostModel::kFixed] = 1;
  x[KernelCostModel::kWaves] = static_cast<double>(waves);
  x[KernelCostModel::kWaveSteps] = static_cast<double>(waves) * steps;
  x[KernelCostModel::kStreamedSteps] = static_cast<double>(ctas) * steps / static_cast<double>(d.slots);
  x[KernelCostModel::kInputBytes] = f.input_bytes;
  x[KernelCostModel::kOutputBytes] = f.output_bytes;
  x[KernelCostModel::kFilterBytes] = f.filter_bytes;
  x[KernelCostModel::kTransformedInputBytes] = transformed.input * element_bytes;
  x[KernelCostModel::kTransformedOutputBytes] = transformed.output * element_bytes;
  x[KernelCostModel::kTransformedFilterBytes] = transformed.filter * element_bytes;
  return terms;
}

std::vector<int64_t> SlotCandidates(int compute_units) {
  std::vector<int64_t> slots;
  if (compute_units > 0) {
    for (int per_unit : kCtasPerUnitCandidates) slots.push_back(int64_t{compute_units} * per_unit);
  } else {
    for (int64_t s = 1; s <= 4096; s *= 2) slots.push_back(s);
  }
  return slots;
}

struct Candidate {
  WorkDecomposition decomposition;
  RelativeNormalEquations::Solution solution;
};

std::optional<Candidate> FitDecomposition(std::span<const Sample* const> samples, const WorkDecomposition& d) {
  RelativeNormalEquations equations(KernelCostModel::kTerms);
  for (const Sample* sample : samples) {
    equations.Add(TermsOf(sample->shape, d).values, sample->latency_us, sample->weight);
  }
  std::optional<RelativeNormalEquations::Solution> solution = equations.SolveNonNegative();
  if (!solution) return std::nullopt;
  return Candidate{d, std::move(*solution)};
}

double GridMatchRate(std::span<const Sample* const> samples, WorkMapping mapping, const CtaTile& tile) {
  int with_grid = 0, matches = 0;
  for (const Sample* sample : samples) {
    if (sample->observed_ctas <= 0) continue;
    ++with_grid;
    matches += CtasFor(sample->shape, mapping, tile) == sample->observed_ctas;
  }
  return with_grid > 0 ? static_cast<double>(matches) / with_grid : 0;
}

// The (mapping, tile) pairs to try: a fused-Winograd block or a named GEMM tile is kept, and
// where the samples carry observed grids and one mapping reproduces most of them, only that one;
// with nothing known, every candidate tile under every GEMM mapping.
std::vector<std::pair<WorkMapping, CtaTile>> Decompositions(std::span<const Sample* const> samples,
                                                            const CostFitHints& hints) {
  if (hints.tile.block.batch > 0) return {{WorkMapping::kFusedWinograd, hints.tile}};
  std::vector<std::pair<WorkMapping, CtaTile>> decompositions;
  if (hints.tile.m > 0 && hints.tile.n > 0) {
    double best_match = 0;
    WorkMapping matched = WorkMapping::kImplicitGemm;
    for (WorkMapping mapping : kGemmWorkMappings) {
      const double rate = GridMatchRate(samples, mapping, hints.tile);
      if (rate > best_match) best_match = rate, matched = mapping;
    }
    if (best_match >= 0.5) return {{matched, hints.tile}};
    for (WorkMapping mapping : kGemmWorkMappings) decompositions.push_back({mapping, hints.tile});
    return decompositions;
  }
  for (WorkMapping mapping : kGemmWorkMappings) {
    for (int m : kTileCandidates) {
      for (int n : kTileCandidates) decompositions.push_back({mapping, CtaTile{.m = m, .n = n}});
    }
  }
  return decompositions;
}

}  // namespace

std::string CtaTileName(WorkMapping mapping, const CtaTile& tile) {
  if (mapping == WorkMapping::kFusedWinograd) {
    return absl::StrCat("fused ", tile.block.batch, "x", tile.block.p, "x", tile.block.q, "x", tile.block.channels);
  }
  return absl::StrCat(tile.m, "x", tile.n, tile.split_k > 1 ? absl::StrCat(" split-k ", tile.split_k) : "");
}

std::optional<KernelCostModel> KernelCostModel::Fit(std::span<const Sample* const> samples, const CostFitHints& hints) {
  if (samples.size() < kMinSamples) return std::nullopt;
  std::optional<Candidate> best;
  for (const auto& [mapping, tile] : Decompositions(samples, hints)) {
    for (int64_t slots : SlotCandidates(hints.compute_units)) {
      std::optional<Candidate> candidate = FitDecomposition(samples, {mapping, tile, slots});
      if (candidate && (!best || candidate->solution.relative_sse < best->solution.relative_sse)) {
        best = std::move(candidate);
      }
    }
  }
  if (!best) return std::nullopt;

  KernelCostModel model;
  model.decomposition_ = best->decomposition;
  const WorkDecomposition& d = model.decomposition_;
  // The search above compares plain fits (a spike costs every candidate alike); the coefficients
  // served come from the robust fit of the chosen decomposition (fit/robust_fit.h), so layers
  // timed while something else ran do not drag the staircase. One decomposition only: cheap.
  std::vector<double> rows, latencies, weights;
  for (const Sample* sample : samples) {
    if (!(sample->weight > 0) || !(sample->latency_us > 0)) continue;
    const Terms terms = TermsOf(sample->shape, d);
    rows.insert(rows.end(), terms.values.begin(), terms.values.end());
    latencies.push_back(sample->latency_us);
    weights.push_back(sample->weight);
  }
  std::optional<RobustSolution> robust = SolveNonNegativeRobust(kTerms, rows, latencies, weights);
  const RelativeNormalEquations::Solution& solution = robust ? robust->solution : best->solution;
  for (int i = 0; i < kTerms; ++i) model.coefficients_[i] = solution.coefficients[i];
  model.outliers_ = robust ? robust->outliers : 0;
  model.grid_match_rate_ = GridMatchRate(samples, d.mapping, d.tile);
  const double kept = robust ? std::max(1.0, std::accumulate(robust->weights.begin(), robust->weights.end(), 0.0))
                             : static_cast<double>(samples.size());
  model.fit_rmspe_ = 100 * std::sqrt(solution.relative_sse / kept);
  return model;
}

KernelCostModel::Breakdown KernelCostModel::Evaluate(const ConvShape& shape) const {
  const Terms terms = TermsOf(shape, decomposition_);
  Breakdown breakdown;
  breakdown.ctas = terms.ctas;
  breakdown.waves = terms.waves;
  for (int i = 0; i < kTerms; ++i) {
    const double cost = coefficients_[i] * terms.values[i];
    if (i == kFixed) {
      breakdown.fixed_us += cost;
    } else if (i <= kStreamedSteps) {
      breakdown.compute_us += cost;
    } else {
      breakdown.memory_us += cost;
    }
  }
  return breakdown;
}

}  // namespace convlat::model
