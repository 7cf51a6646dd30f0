#include "model/two_mode/kernel_cost_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/fit/robust_fit.h"
#include "model/layers/features.h"
#include "model/two_mode/internal/byte_term_bounds.h"

namespace convlat::model {
namespace {

using internal::DropColumn;
using internal::ImplausibleByteTerms;

constexpr int kTileCandidates[] = {8, 16, 32, 64, 128, 256};
// CTAs resident per SM that the fit tries when the SM count is known.
constexpr int kCtasPerUnitCandidates[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};
// Fewer samples than this cannot pin down a staircase.
constexpr size_t kMinSamples = 8;
// The tile and concurrency search reads at most this many samples (see KernelCostModel::Fit).
constexpr size_t kMaxSearchRows = 6000;

struct Terms {
  std::array<double, KernelCostModel::kTerms> values;
  int64_t ctas;
  int64_t waves;
};

Terms TermsOf(const ConvShape& shape, const WorkDecomposition& d, const ConvFeatures& f) {
  const int64_t ctas = LaunchGrid(shape, f, d.mapping, d.tile).ctas();
  const int64_t waves = Waves(ctas, d.slots);
  // A split-K kernel's CTA runs one slice of the reduction.
  const double steps = static_cast<double>(ReductionLength(shape, d.mapping)) / std::max(1, d.tile.split_k);
  const TransformedElements transformed = MaterializedTransforms(shape, f, d.mapping);
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

// Whether a fit's cost grows with the reduction each CTA runs (a wave-step or streamed-step term).
// A convolution's time does, so a staircase that charges nothing per reduction step has explained
// its layers' compute by something that only correlates with it in these layers: on 50 TensorFlow
// V100 layers the best such fit charged it to the filter's bytes, at 2.7 GB/s, and put held-out
// layers with larger filters at up to 100x their time. Such a fit is chosen only when no candidate
// counts the reduction (tests/model/two_mode/two_mode_model_test.cc).
bool CountsReduction(const RelativeNormalEquations::Solution& solution) {
  return solution.coefficients[KernelCostModel::kWaveSteps] > 0 ||
         solution.coefficients[KernelCostModel::kStreamedSteps] > 0;
}

// Whether `candidate` beats the best so far: one that counts the reduction before one that does not,
// then the lower relative error on the samples.
bool Better(const RelativeNormalEquations::Solution& candidate, const std::optional<Candidate>& best) {
  if (!best) return true;
  const bool counts = CountsReduction(candidate), best_counts = CountsReduction(best->solution);
  if (counts != best_counts) return counts;
  return candidate.relative_sse < best->solution.relative_sse;
}

// The fit of one decomposition, refitted without the byte terms it prices implausibly.
std::optional<Candidate> FitDecomposition(std::span<const Sample* const> samples, const WorkDecomposition& d,
                                          double bandwidth_gbps) {
  constexpr int kT = KernelCostModel::kTerms;
  std::vector<double> rows;
  rows.reserve(samples.size() * kT);
  for (const Sample* sample : samples) {
    const Terms terms = TermsOf(sample->shape, d, ComputeFeatures(sample->shape));
    rows.insert(rows.end(), terms.values.begin(), terms.values.end());
  }
  for (;;) {
    RelativeNormalEquations equations(kT);
    for (size_t i = 0; i < samples.size(); ++i) {
      equations.Add(std::span<const double>(&rows[i * kT], kT), samples[i]->latency_us, samples[i]->weight);
    }
    std::optional<RelativeNormalEquations::Solution> solution = equations.SolveNonNegative();
    if (!solution) return std::nullopt;
    const std::vector<int> implausible = ImplausibleByteTerms(solution->coefficients, bandwidth_gbps);
    if (implausible.empty()) return Candidate{d, std::move(*solution)};
    for (int term : implausible) DropColumn(rows, term);
  }
}

// The search over GEMM tiles and concurrencies, fast. Only three columns of the design matrix
// depend on the candidate (waves, wave steps, streamed steps); the fixed and byte columns depend on
// the mapping alone. So the products among those seven columns are summed once per mapping, the
// streamed column's once per tile (it only scales with 1/slots), and per (tile, slots) candidate
// only the two wave columns' products: about a fifth of the work of refitting every candidate
// from its rows (146 s → under a second for 12k TensorFlow layers, docs/performance.md).
class GemmSearch {
 public:
  static constexpr int kStatic[] = {KernelCostModel::kFixed,
                                    KernelCostModel::kInputBytes,
                                    KernelCostModel::kOutputBytes,
                                    KernelCostModel::kFilterBytes,
                                    KernelCostModel::kTransformedInputBytes,
                                    KernelCostModel::kTransformedOutputBytes,
                                    KernelCostModel::kTransformedFilterBytes};
  static constexpr int kStaticCount = 7;

  GemmSearch(std::span<const Sample* const> samples, WorkMapping mapping, double bandwidth_gbps)
      : mapping_(mapping), bandwidth_gbps_(bandwidth_gbps) {
    const bool winograd = mapping == WorkMapping::kWinograd4x4 || mapping == WorkMapping::kWinograd2x2;
    // A unit tile's CTAs split into rows (tiled by m) x columns (tiled by n) x a multiplier.
    const CtaTile unit{.m = 1, .n = 1};
    for (const Sample* sample : samples) {
      const double y = sample->latency_us;
      if (!(y > 0) || !std::isfinite(y) || !(sample->weight > 0)) continue;
      const ConvShape& shape = sample->shape;
      const Terms terms = TermsOf(shape, {mapping, unit, 1}, ComputeFeatures(shape));
      const int64_t columns = shape.k / shape.groups;
      const int64_t multiplier =
          winograd ? shape.groups * (mapping == WorkMapping::kWinograd4x4 ? 36 : 16) : shape.groups;
      rows_.push_back(columns > 0 && multiplier > 0 ? terms.ctas / (columns * multiplier) : 0);
      columns_.push_back(columns);
      multiplier_.push_back(multiplier);
      steps_.push_back(static_cast<double>(ReductionLength(shape, mapping)));
      weight_.push_back(sample->weight / (y * y));
      latency_.push_back(y);
      y_weighted_ += sample->weight;
      for (int j = 0; j < kStaticCount; ++j) static_.push_back(terms.values[kStatic[j]]);
    }
    // The static block of XᵀWX and XᵀWy, and the static columns' scales.
    static_gram_.assign(kStaticCount * kStaticCount, 0);
    static_moment_.assign(kStaticCount, 0);
    static_scale_.assign(kStaticCount, 0);
    for (size_t i = 0; i < weight_.size(); ++i) {
      const double* x = &static_[i * kStaticCount];
      for (int a = 0; a < kStaticCount; ++a) {
        static_scale_[a] = std::max(static_scale_[a], std::abs(x[a]));
        static_moment_[a] += weight_[i] * x[a] * latency_[i];
        for (int b = a; b < kStaticCount; ++b) static_gram_[a * kStaticCount + b] += weight_[i] * x[a] * x[b];
      }
    }
  }

  // Every slot count for one tile; keeps the best candidate in `best`.
  void Search(const CtaTile& tile, std::span<const int64_t> slot_candidates, std::optional<Candidate>& best) const {
    const size_t n = weight_.size();
    if (n == 0) return;
    std::vector<int64_t> ctas(n);
    // Sums of the streamed column at slots = 1: products with the static columns, itself, y.
    std::array<double, kStaticCount> streamed_static{};
    double streamed_sq = 0, streamed_y = 0, streamed_max = 0;
    for (size_t i = 0; i < n; ++i) {
      ctas[i] = CeilDiv(rows_[i], tile.m) * CeilDiv(columns_[i], tile.n) * multiplier_[i];
      const double e = static_cast<double>(ctas[i]) * steps_[i], we = weight_[i] * e;
      const double* x = &static_[i * kStaticCount];
      for (int a = 0; a < kStaticCount; ++a) streamed_static[a] += we * x[a];
      streamed_sq += we * e;
      streamed_y += we * latency_[i];
      streamed_max = std::max(streamed_max, e);
    }
    for (int64_t slots : slot_candidates) {
      std::array<double, kStaticCount> waves_static{}, steps_static{};
      double ww = 0, wsw = 0, ss = 0, w_stream = 0, s_stream = 0, w_y = 0, s_y = 0, w_max = 0, s_max = 0;
      for (size_t i = 0; i < n; ++i) {
        const double waves = static_cast<double>(CeilDiv(ctas[i], slots));
        const double wave_steps = waves * steps_[i];
        const double wv = weight_[i] * waves, ws = weight_[i] * wave_steps;
        const double* x = &static_[i * kStaticCount];
        for (int a = 0; a < kStaticCount; ++a) waves_static[a] += wv * x[a], steps_static[a] += ws * x[a];
        const double e = static_cast<double>(ctas[i]) * steps_[i];
        ww += wv * waves, wsw += wv * wave_steps, ss += ws * wave_steps;
        w_stream += wv * e, s_stream += ws * e;
        w_y += wv * latency_[i], s_y += ws * latency_[i];
        w_max = std::max(w_max, waves), s_max = std::max(s_max, wave_steps);
      }
      const double inv = 1.0 / static_cast<double>(slots);
      constexpr int kT = KernelCostModel::kTerms;
      std::vector<double> gram(kT * kT, 0), moment(kT, 0), scale(kT, 0);
      auto set = [&](int a, int b, double v) { gram[std::min(a, b) * kT + std::max(a, b)] = v; };
      for (int a = 0; a < kStaticCount; ++a) {
        for (int b = a; b < kStaticCount; ++b) set(kStatic[a], kStatic[b], static_gram_[a * kStaticCount + b]);
        moment[kStatic[a]] = static_moment_[a];
        scale[kStatic[a]] = static_scale_[a];
        set(KernelCostModel::kWaves, kStatic[a], waves_static[a]);
        set(KernelCostModel::kWaveSteps, kStatic[a], steps_static[a]);
        set(KernelCostModel::kStreamedSteps, kStatic[a], streamed_static[a] * inv);
      }
      set(KernelCostModel::kWaves, KernelCostModel::kWaves, ww);
      set(KernelCostModel::kWaves, KernelCostModel::kWaveSteps, wsw);
      set(KernelCostModel::kWaveSteps, KernelCostModel::kWaveSteps, ss);
      set(KernelCostModel::kWaves, KernelCostModel::kStreamedSteps, w_stream * inv);
      set(KernelCostModel::kWaveSteps, KernelCostModel::kStreamedSteps, s_stream * inv);
      set(KernelCostModel::kStreamedSteps, KernelCostModel::kStreamedSteps, streamed_sq * inv * inv);
      moment[KernelCostModel::kWaves] = w_y;
      moment[KernelCostModel::kWaveSteps] = s_y;
      moment[KernelCostModel::kStreamedSteps] = streamed_y * inv;
      scale[KernelCostModel::kWaves] = w_max;
      scale[KernelCostModel::kWaveSteps] = s_max;
      scale[KernelCostModel::kStreamedSteps] = streamed_max * inv;
      std::optional<RelativeNormalEquations::Solution> solution =
          SolveWithoutImplausibleTerms(std::move(gram), std::move(moment), std::move(scale), static_cast<int>(n));
      if (solution && Better(*solution, best)) {
        best = Candidate{{mapping_, tile, slots}, std::move(*solution)};
      }
    }
  }

 private:
  static int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

  // The non-negative fit from the summed equations, refitted with each byte term it prices
  // implausibly left out (a column whose scale is 0 never enters the fit).
  std::optional<RelativeNormalEquations::Solution> SolveWithoutImplausibleTerms(std::vector<double> gram,
                                                                                std::vector<double> moment,
                                                                                std::vector<double> scale,
                                                                                int rows) const {
    for (;;) {
      std::optional<RelativeNormalEquations::Solution> solution =
          RelativeNormalEquations::FromSums(gram, moment, scale, y_weighted_, rows).SolveNonNegative();
      if (!solution) return std::nullopt;
      const std::vector<int> implausible = ImplausibleByteTerms(solution->coefficients, bandwidth_gbps_);
      if (implausible.empty()) return solution;
      for (int term : implausible) scale[term] = 0;
    }
  }

  WorkMapping mapping_;
  double bandwidth_gbps_;
  std::vector<int64_t> rows_, columns_, multiplier_;
  std::vector<double> steps_, weight_, latency_, static_;  // static_: kStaticCount per row
  std::vector<double> static_gram_, static_moment_, static_scale_;
  double y_weighted_ = 0;
};

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
  const std::vector<int64_t> slot_candidates = SlotCandidates(hints.compute_units);
  std::map<WorkMapping, std::vector<CtaTile>> gemm_tiles;  // searched with shared sums, per mapping
  for (const auto& [mapping, tile] : Decompositions(samples, hints)) {
    if (mapping != WorkMapping::kFusedWinograd) {
      gemm_tiles[mapping].push_back(tile);
      continue;
    }
    for (int64_t slots : slot_candidates) {
      std::optional<Candidate> candidate =
          FitDecomposition(samples, {mapping, tile, slots}, hints.memory_bandwidth_gbps);
      if (candidate && Better(candidate->solution, best)) {
        best = std::move(candidate);
      }
    }
  }
  // The search compares candidates on at most kMaxSearchRows layers spread evenly over the set:
  // which tile and concurrency fit best is settled long before that, and the robust fit of the
  // chosen one below reads every layer.
  std::vector<const Sample*> spread;
  const size_t stride = (samples.size() + kMaxSearchRows - 1) / kMaxSearchRows;
  for (size_t i = 0; i < samples.size(); i += stride) spread.push_back(samples[i]);
  for (const auto& [mapping, tiles] : gemm_tiles) {
    const GemmSearch search(spread, mapping, hints.memory_bandwidth_gbps);
    for (const CtaTile& tile : tiles) search.Search(tile, slot_candidates, best);
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
    const Terms terms = TermsOf(sample->shape, d, ComputeFeatures(sample->shape));
    rows.insert(rows.end(), terms.values.begin(), terms.values.end());
    latencies.push_back(sample->latency_us);
    weights.push_back(sample->weight);
  }
  std::optional<RobustSolution> robust = SolveNonNegativeRobust(kTerms, rows, latencies, weights);
  // The robust weights can move a byte term past the bound the search kept it under.
  while (robust) {
    const std::vector<int> implausible =
        ImplausibleByteTerms(robust->solution.coefficients, hints.memory_bandwidth_gbps);
    if (implausible.empty()) break;
    for (int term : implausible) DropColumn(rows, term);
    model.implausible_byte_terms_ += static_cast<int>(implausible.size());
    robust = SolveNonNegativeRobust(kTerms, rows, latencies, weights);
  }
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
  return Evaluate(shape, ComputeFeatures(shape));
}

KernelCostModel::Breakdown KernelCostModel::Evaluate(const ConvShape& shape, const ConvFeatures& features) const {
  const Terms terms = TermsOf(shape, decomposition_, features);
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
