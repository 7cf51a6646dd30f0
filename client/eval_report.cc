#include "client/eval_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "model/eval/interval_evaluation.h"
#include "model/eval/op_evaluation.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::client {
namespace {

// "n=38 c=893 k=326 5x5 r3x3": enough to find the layer again.
std::string LayerName(const model::ConvShape& s) {
  return absl::StrFormat("n=%d c=%d k=%d %dx%d r%dx%d", s.n, s.c, s.k, s.h, s.w, s.r, s.s);
}

}  // namespace

std::string EvaluationRow(const model::EvaluationResult& r) {
  if (!r.failure.empty())
    return absl::StrFormat("| %s | %zu | fit failed: %s | | | |", r.model, r.train_size, r.failure);
  return absl::StrFormat("| %s | %zu | %.1f | %.1f | %.1f | %.3f |", r.model, r.train_size, r.errors.mape,
                         r.errors.rmspe, 100 * r.errors.within_10, r.fit_seconds);
}

std::string ReportModelComparison(const EvalDataset& data, const model::SampleSplit& split,
                                  const std::vector<model::ModelFitter>& fitters, std::ostream& out) {
  out << "### All training layers\n\n" << kEvaluationTableHeader << "\n";
  std::string best_baseline;
  double best_mape = 1e300;
  for (const model::ModelFitter& fitter : fitters) {
    const model::EvaluationResult result = model::Evaluate(fitter, split.train, split.test, data.hardware);
    out << EvaluationRow(result) << "\n" << std::flush;
    if (fitter.name != "two-mode" && result.failure.empty() && result.errors.mape < best_mape) {
      best_mape = result.errors.mape;
      best_baseline = fitter.name;
    }
  }
  return best_baseline;
}

void ReportCrossValidation(const EvalDataset& data, const std::vector<model::ModelFitter>& fitters, int folds,
                           uint64_t seed, std::ostream& out) {
  out << "\n### " << folds << "-fold cross-validation (mean over folds)\n\n" << kEvaluationTableHeader << "\n";
  for (const model::ModelFitter& fitter : fitters) {
    model::EvaluationResult mean{.model = fitter.name};
    for (int fold = 0; fold < folds; ++fold) {
      const model::SampleSplit f = model::FoldOf(data.samples, folds, fold, seed);
      const model::EvaluationResult r = model::Evaluate(fitter, f.train, f.test, data.hardware);
      mean.train_size = r.train_size;
      mean.errors.mape += r.errors.mape / folds;
      mean.errors.rmspe += r.errors.rmspe / folds;
      mean.errors.within_10 += r.errors.within_10 / folds;
      mean.fit_seconds += r.fit_seconds / folds;
      if (!r.failure.empty()) mean.failure = r.failure;
    }
    out << EvaluationRow(mean) << "\n" << std::flush;
  }
}

std::vector<model::EvaluationResult> ReportLearningCurve(const EvalDataset& data, const model::SampleSplit& split,
                                                         const std::vector<model::ModelFitter>& fitters,
                                                         const std::vector<size_t>& sizes, int repeats, uint64_t seed,
                                                         std::ostream& out) {
  out << "\n### Learning curve (mean of " << repeats << " random training subsets per size)\n\n"
      << kEvaluationTableHeader << "\n";
  std::vector<model::EvaluationResult> rows =
      model::LearningCurve(fitters, split.train, split.test, sizes, repeats, seed, data.hardware);
  for (const model::EvaluationResult& r : rows) out << EvaluationRow(r) << "\n";
  return rows;
}

void ReportActiveSampling(const EvalDataset& data, const model::SampleSplit& split, const std::vector<size_t>& sizes,
                          int repeats, uint64_t seed, std::ostream& out) {
  out << "\n### Two-mode model: active vs random sampling (same pool, same test layers)\n\n"
      << "| train layers | active MAPE % | random MAPE % | active ±10% | random ±10% |\n|---|---|---|---|---|\n";
  for (const model::SamplingComparison& c :
       model::CompareActiveSampling(split.train, split.test, sizes, repeats, seed, data.hardware)) {
    out << absl::StrFormat("| %zu | %.1f | %.1f | %.1f | %.1f |\n", c.train_size, c.active.mape, c.random.mape,
                           100 * c.active.within_10, 100 * c.random.within_10);
  }
}

void ReportKernelChoice(const EvalDataset& data, const model::SampleSplit& split, int worst, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<model::TwoModeModel>> fitted = model::TwoModeModel::Fit(split.train, data.hardware);
  if (!fitted.ok()) return;
  const model::TwoModeModel& two_mode = **fitted;
  int with_kernel = 0, right = 0;
  std::vector<double> known_kernel_predicted, known_kernel_measured;
  std::vector<std::pair<double, const model::Sample*>> errors;
  for (const model::Sample& s : split.test) {
    if (!s.kernel.empty()) {
      ++with_kernel;
      right += two_mode.PredictsKernelGroupOf(s.shape, s.kernel);
      if (std::optional<model::Prediction> p = two_mode.PredictWithKernel(s.shape, s.kernel)) {
        known_kernel_predicted.push_back(p->latency_us);
        known_kernel_measured.push_back(s.latency_us);
      }
    }
    const double predicted = two_mode.Predict(s.shape).latency_us;
    errors.push_back({std::abs(predicted / s.latency_us - 1), &s});
  }
  if (with_kernel > 0 && !two_mode.latent_groups()) {  // latent groups have no kernel to be right about
    out << absl::StrFormat(
        "\nKernel choice: the classifier picks the group of the kernel that ran for %.1f%% of the %d held-out "
        "layers (%zu kernel groups).\n",
        100.0 * right / with_kernel, with_kernel, two_mode.kernel_groups());
    const model::ErrorSummary known = model::SummarizeErrors(known_kernel_predicted, known_kernel_measured);
    out << absl::StrFormat(
        "Given the kernel that ran (no classifier: the staircases alone), MAPE %.1f%%, RMSPE %.1f%%, within ±10%% "
        "%.1f%% on the %zu held-out layers whose kernel was seen in training.\n",
        known.mape, known.rmspe, 100 * known.within_10, known_kernel_predicted.size());
  }
  const std::map<std::string, double> parameters = two_mode.parameters();
  const int trees = static_cast<int>(parameters.at("correction_trees"));
  out << (trees > 0 ? absl::StrFormat(
                          "Residual correction: kept, %d trees (its own held-out fifth: MAPE %.1f%% without, %.1f%% "
                          "with).\n",
                          trees, parameters.at("correction.held_out_mape_without"),
                          parameters.at("correction.held_out_mape_with"))
                    : std::string("Residual correction: none (too few layers, or no gain on its held-out fifth).\n"));
  worst = std::min<int>(worst, static_cast<int>(errors.size()));
  if (worst <= 0) return;
  std::partial_sort(errors.begin(), errors.begin() + worst, errors.end(), std::greater<>());
  out << "\n### Two-mode model: the " << worst << " worst held-out layers\n\n"
      << "| layer | measured µs | predicted µs | kernel that ran | predicted kernel, tile, CTAs, waves |\n"
      << "|---|---|---|---|---|\n";
  for (int i = 0; i < worst; ++i) {
    const model::Sample& s = *errors[i].second;
    const model::Prediction p = two_mode.Predict(s.shape);
    const v1::Explanation& why = p.explanation;
    out << absl::StrFormat("| %s | %.1f | %.1f | %s | %s, %s, %d, %d |\n", LayerName(s.shape), s.latency_us,
                           p.latency_us, s.kernel.empty() ? "-" : s.kernel,
                           why.kernel().empty() ? "(platform-wide)" : why.kernel(), why.tile(), why.ctas(),
                           why.waves());
  }
}

void ReportIntervals(const EvalDataset& data, const model::SampleSplit& split, const model::ModelFitter& fitter,
                     const std::vector<size_t>& curve, int repeats, uint64_t seed, bool all_layers, std::ostream& out) {
  out << "\n### " << fitter.name << ": 80 % prediction intervals on the held-out layers\n\n"
      << "| train layers | MAPE % | inside p10-p90 % | below p10 % | above p90 % | mean (p90-p10)/prediction | "
         "fit + calibration s |\n|---|---|---|---|---|---|---|\n";
  auto row = [](const model::IntervalEvaluation& r) {
    if (!r.failure.empty()) return absl::StrFormat("| %zu | %s | | | | | |\n", r.train_size, r.failure);
    return absl::StrFormat("| %zu | %.1f | %.1f | %.1f | %.1f | %.2f | %.3f |\n", r.train_size, r.errors.mape,
                           100 * r.coverage, 100 * r.below, 100 * r.above, r.mean_width, r.fit_seconds);
  };
  for (const model::IntervalEvaluation& r :
       model::IntervalCurve(fitter, split.train, split.test, curve, repeats, seed, data.hardware)) {
    out << row(r) << std::flush;
  }
  if (all_layers) out << row(model::EvaluateIntervals(fitter, split.train, split.test, data.hardware));
}

absl::Status ReportOps(const EvalDataset& data, double test_fraction, uint64_t seed, std::ostream& out) {
  absl::StatusOr<std::vector<model::OpKindEvaluation>> rows = model::EvaluateOpModel(data.ops, test_fraction, seed);
  if (!rows.ok()) return rows.status();
  out << absl::StrFormat("## %s: other ops\n\n%zu ops measured, %.0f%% held out (seed %d)\n\n", data.name,
                         data.ops.size(), 100 * test_fraction, seed)
      << "| op kind | held-out ops | per-kind MAPE % | per-kind ±10% | one fit for all ops MAPE % | one fit ±10% |\n"
      << "|---|---|---|---|---|---|\n";
  for (const model::OpKindEvaluation& row : *rows) {
    out << absl::StrFormat("| %s | %zu | %.1f | %.1f | %.1f | %.1f |\n", row.kind, row.test_size, row.per_kind.mape,
                           100 * row.per_kind.within_10, row.pooled.mape, 100 * row.pooled.within_10);
  }
  out << "\n";
  return absl::OkStatus();
}

}  // namespace convlat::client
