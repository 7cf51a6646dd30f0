#include "model/kernel_cost_model.h"

#include <cmath>
#include <vector>

#include "model/features.h"
#include "model/nnls.h"

namespace convlat::model {
namespace {

constexpr int kTileCandidates[] = {8, 16, 32, 64, 128, 256};
// CTAs resident per SM that the fit tries when the SM count is known.
constexpr int kCtasPerUnitCandidates[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};

struct Terms {
  std::array<double, KernelCostModel::kTerms> values;
  int64_t ctas;
  int64_t waves;
};

Terms TermsOf(const ConvShape& shape, const WorkDecomposition& d) {
  const ConvFeatures f = ComputeFeatures(shape);
  const int64_t ctas = CtasFor(shape, d.mapping, d.tile_m, d.tile_n);
  const int64_t waves = Waves(ctas, d.slots);
  const double steps = f.gemm_k;
  return {{1.0, static_cast<double>(waves), waves * steps, ctas * steps / static_cast<double>(d.slots), f.bytes()},
          ctas,
          waves};
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
  for (const Sample* sample : samples) equations.Add(TermsOf(sample->shape, d).values, sample->latency_us);
  std::optional<RelativeNormalEquations::Solution> solution = equations.SolveNonNegative();
  if (!solution) return std::nullopt;
  return Candidate{d, std::move(*solution)};
}

double GridMatchRate(std::span<const Sample* const> samples, WorkMapping mapping, int tile_m, int tile_n) {
  int with_grid = 0, matches = 0;
  for (const Sample* sample : samples) {
    if (sample->observed_ctas <= 0) continue;
    ++with_grid;
    matches += CtasFor(sample->shape, mapping, tile_m, tile_n) == sample->observed_ctas;
  }
  return with_grid > 0 ? static_cast<double>(matches) / with_grid : 0;
}

}  // namespace

std::optional<KernelCostModel> KernelCostModel::Fit(std::span<const Sample* const> samples,
                                                    const CostFitHints& hints) {
  if (samples.size() < static_cast<size_t>(kTerms)) return std::nullopt;

  // Tiles: the kernel's own, or every candidate. Mappings: where the samples carry observed
  // grids and one mapping reproduces most of them, that one; else all are tried on the error.
  std::vector<std::pair<int, int>> tiles;
  if (hints.tile_m > 0 && hints.tile_n > 0) {
    tiles.push_back({hints.tile_m, hints.tile_n});
  } else {
    for (int m : kTileCandidates) {
      for (int n : kTileCandidates) tiles.push_back({m, n});
    }
  }
  std::vector<WorkMapping> mappings(std::begin(kAllWorkMappings), std::end(kAllWorkMappings));
  double best_match = 0;
  if (tiles.size() == 1) {
    WorkMapping matched = WorkMapping::kImplicitGemm;
    for (WorkMapping mapping : kAllWorkMappings) {
      const double rate = GridMatchRate(samples, mapping, tiles[0].first, tiles[0].second);
      if (rate > best_match) best_match = rate, matched = mapping;
    }
    if (best_match >= 0.5) mappings = {matched};
  }

  std::optional<Candidate> best;
  for (WorkMapping mapping : mappings) {
    for (const auto& [tile_m, tile_n] : tiles) {
      for (int64_t slots : SlotCandidates(hints.compute_units)) {
        std::optional<Candidate> candidate = FitDecomposition(samples, {mapping, tile_m, tile_n, slots});
        if (candidate && (!best || candidate->solution.relative_sse < best->solution.relative_sse)) {
          best = std::move(candidate);
        }
      }
    }
  }
  if (!best) return std::nullopt;

  KernelCostModel model;
  model.decomposition_ = best->decomposition;
  for (int i = 0; i < kTerms; ++i) model.coefficients_[i] = best->solution.coefficients[i];
  const WorkDecomposition& d = model.decomposition_;
  model.grid_match_rate_ = GridMatchRate(samples, d.mapping, d.tile_m, d.tile_n);
  model.fit_rmspe_ = 100 * std::sqrt(best->solution.relative_sse / static_cast<double>(samples.size()));
  return model;
}

KernelCostModel::Breakdown KernelCostModel::Evaluate(const ConvShape& shape) const {
  const Terms terms = TermsOf(shape, decomposition_);
  const auto& b = coefficients_;
  const auto& x = terms.values;
  Breakdown breakdown;
  breakdown.ctas = terms.ctas;
  breakdown.waves = terms.waves;
  breakdown.fixed_us = b[0] * x[0];
  breakdown.compute_us = b[1] * x[1] + b[2] * x[2] + b[3] * x[3];
  breakdown.memory_us = b[4] * x[4];
  return breakdown;
}

}  // namespace convlat::model
