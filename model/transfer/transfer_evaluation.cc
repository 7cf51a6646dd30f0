#include "model/transfer/transfer_evaluation.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/interval/prediction_interval.h"

namespace convlat::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean absolute percentage error of the refined model on the target's layers outside `refine`.
double MapeOn(const TransferModel& model, const TransferSpec& target, const FewShotCorrection& correction,
              const std::vector<Sample>& test) {
  double sum = 0;
  int count = 0;
  for (const Sample& sample : test) {
    if (!(sample.latency_us > 0)) continue;
    const double predicted = PredictRefinedUs(model, target, correction, sample.shape);
    sum += std::abs(predicted - sample.latency_us) / sample.latency_us;
    ++count;
  }
  return count == 0 ? kNaN : 100.0 * sum / count;
}

}  // namespace

TransferMatrix EvaluateTransfer(const std::vector<TransferSource>& platforms,
                                const TransferEvaluationOptions& options) {
  TransferMatrix matrix;
  for (int layers : options.target_layers) matrix.columns.push_back(absl::StrCat("MAPE % at ", layers, " layers"));
  matrix.columns.push_back("80 % interval coverage %");
  for (size_t t = 0; t < platforms.size(); ++t) {
    const TransferSource& target = platforms[t];
    std::vector<TransferSource> sources;
    std::vector<std::string> names;
    for (size_t s = 0; s < platforms.size(); ++s) {
      if (s == t) continue;
      sources.push_back(platforms[s]);
      names.push_back(platforms[s].spec.name);
    }
    matrix.rows.push_back(target.spec.name);
    matrix.sources.push_back(absl::StrJoin(names, ", "));
    matrix.target_samples.push_back(static_cast<int>(target.samples.size()));
    std::vector<double>& row = matrix.values.emplace_back();
    absl::StatusOr<TransferModel> model = TransferModel::Fit(sources, options.transfer);
    if (!model.ok()) {
      row.assign(matrix.columns.size(), kNaN);
      continue;
    }
    for (int layers : options.target_layers) {
      if (layers == 0) {
        row.push_back(MapeOn(*model, target.spec, FewShotCorrection{}, target.samples));
        continue;
      }
      if (static_cast<size_t>(layers) >= target.samples.size()) {
        row.push_back(kNaN);
        continue;
      }
      double sum = 0;
      for (int subset = 0; subset < options.subsets; ++subset) {
        // A random draw of the target's layers refines the model; the rest judge it.
        std::vector<Sample> shuffled = SeededSubset(target.samples, static_cast<int>(target.samples.size()),
                                                    options.transfer.seed * 1000 + subset);
        std::vector<Sample> refine(shuffled.begin(), shuffled.begin() + layers);
        std::vector<Sample> test(shuffled.begin() + layers, shuffled.end());
        sum += MapeOn(*model, target.spec, FitFewShotCorrection(*model, target.spec, refine), test);
      }
      row.push_back(sum / options.subsets);
    }
    // Zero-shot interval as the server would serve it: quantiles of the sources' own leave-one-out residuals.
    TransferOptions interval_options = options.transfer;
    interval_options.max_samples_per_source = options.interval_samples_per_source;
    const std::vector<double> residuals = LeaveOneSourceOutLogResiduals(sources, interval_options);
    if (residuals.empty()) {
      row.push_back(kNaN);
      continue;
    }
    const IntervalRatios ratios = RatiosFromLogResiduals(residuals);
    int covered = 0, judged = 0;
    for (const Sample& sample : target.samples) {
      if (!(sample.latency_us > 0)) continue;
      const double predicted = model->PredictUs(sample.shape, target.spec);
      ++judged;
      covered += sample.latency_us >= predicted * ratios.lower && sample.latency_us <= predicted * ratios.upper;
    }
    row.push_back(judged == 0 ? kNaN : 100.0 * covered / judged);
  }
  return matrix;
}

}  // namespace convlat::model
