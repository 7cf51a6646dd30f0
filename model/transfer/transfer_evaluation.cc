#include "model/transfer/transfer_evaluation.h"

#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/interval/interval_calibration.h"
#include "model/interval/prediction_interval.h"
#include "model/transfer/blended_latency_model.h"
#include "model/transfer/transferred_latency_model.h"

namespace convlat::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean absolute percentage error of `model` on `test`.
double MapeOn(const LatencyModel& model, const std::vector<Sample>& test) {
  double sum = 0;
  int count = 0;
  for (const Sample& sample : test) {
    if (!(sample.latency_us > 0)) continue;
    sum += std::abs(model.Predict(sample.shape).latency_us - sample.latency_us) / sample.latency_us;
    ++count;
  }
  return count == 0 ? kNaN : 100.0 * sum / count;
}

// The MAPEs of one draw of few-shot layers: what is served, the transfer alone, the own fit alone.
struct FewShotErrors {
  double served = kNaN, transfer = kNaN, own = kNaN;
  double coverage = kNaN;  // % of `test` inside the served 80 % interval
};

// The share (%) of `test` inside the 80 % intervals `intervals` puts around `model`'s predictions.
double CoverageOn(const LatencyModel& model, const PredictionIntervals& intervals, const std::vector<Sample>& test) {
  int inside = 0, judged = 0;
  for (const Sample& sample : test) {
    if (!(sample.latency_us > 0)) continue;
    Prediction p = model.Predict(sample.shape);
    intervals.Apply(p);
    inside += sample.latency_us >= p.p10_us && sample.latency_us <= p.p90_us;
    ++judged;
  }
  return judged == 0 ? kNaN : 100.0 * inside / judged;
}

FewShotErrors ScoreDraw(const std::shared_ptr<const TransferModel>& model, const TransferSpec& target,
                        const std::vector<Sample>& refine, const std::vector<Sample>& test,
                        const TransferEvaluationOptions& options) {
  FewShotErrors errors;
  errors.transfer = MapeOn(*TransferredOrBlended(model, target, refine, nullptr), test);
  errors.served = errors.transfer;
  if (!options.own_fit) return errors;
  const HardwareInfo hardware = HardwareOf(target);
  absl::StatusOr<std::unique_ptr<LatencyModel>> own = options.own_fit(refine, hardware);
  if (!own.ok()) return errors;  // too few layers for the own fit: the transfer alone is served
  errors.own = MapeOn(**own, test);
  // Its intervals as the server calibrates them: the blend's own held-out residuals on `refine`.
  const ConvFitter own_fit = options.own_fit_of_kind ? options.own_fit_of_kind((*own)->kind(), hardware)
                                                     : [&options, hardware](const std::vector<Sample>& train) {
                                                         return options.own_fit(train, hardware);
                                                       };
  const double own_weight = ChooseOwnFitWeight(model, target, refine, own_fit);
  const std::unique_ptr<LatencyModel> blend = TransferredOrBlended(model, target, refine, *std::move(own), own_weight);
  errors.served = MapeOn(*blend, test);
  errors.coverage =
      CoverageOn(*blend, CalibrateConvIntervals(refine, BlendedFitter(model, target, own_fit, own_weight)), test);
  return errors;
}

// The share of the target's layers (%) inside the zero-shot 80 % interval whose bounds are the
// quantiles of `residuals`; NaN without residuals.
double ZeroShotCoverage(const TransferModel& model, const TransferSource& target,
                        const std::vector<double>& residuals) {
  if (residuals.empty()) return kNaN;
  const IntervalRatios ratios = RatiosFromLogResiduals(residuals);
  int covered = 0, judged = 0;
  for (const Sample& sample : target.samples) {
    if (!(sample.latency_us > 0)) continue;
    const double predicted = model.PredictUs(sample.shape, target.spec);
    ++judged;
    covered += sample.latency_us >= predicted * ratios.lower && sample.latency_us <= predicted * ratios.upper;
  }
  return judged == 0 ? kNaN : 100.0 * covered / judged;
}

// MAPEs on the target's layers of other kinds, fitted on its 3x3 stride-1 ones alone: its own fit
// extrapolating, and as served with the other kinds routed to the transfer. NaN and NaN where it
// has too few of either.
std::pair<double, double> NewKindErrors(const std::shared_ptr<const TransferModel>& model, const TransferSource& target,
                                        const TransferEvaluationOptions& options) {
  std::vector<Sample> measured, other_kinds;
  for (const Sample& sample : target.samples) {
    const ConvShape& s = sample.shape;
    const bool kind = s.r == 3 && s.s == 3 && s.stride_h == 1 && s.stride_w == 1 && s.groups == 1;
    (kind ? measured : other_kinds).push_back(sample);
  }
  constexpr size_t kMinLayers = 100;  // the server's own fit takes over from as many (kOwnLayersForOwnFit)
  if (measured.size() < kMinLayers || other_kinds.empty()) return {kNaN, kNaN};
  absl::StatusOr<std::unique_ptr<LatencyModel>> own = options.own_fit(measured, HardwareOf(target.spec));
  if (!own.ok()) return {kNaN, kNaN};
  const double own_mape = MapeOn(**own, other_kinds);
  const std::unique_ptr<const LatencyModel> routed =
      options.route_new_kinds(*std::move(own), measured, model, target.spec);
  return {own_mape, MapeOn(*routed, other_kinds)};
}

}  // namespace

TransferMatrix EvaluateTransfer(const std::vector<TransferSource>& platforms,
                                const TransferEvaluationOptions& options) {
  TransferMatrix matrix;
  for (int layers : options.target_layers) matrix.columns.push_back(absl::StrCat("MAPE % at ", layers, " layers"));
  matrix.columns.push_back("80 % interval coverage %");
  matrix.columns.push_back("rule share (zero-shot)");
  if (options.own_fit) {
    for (const char* alone : {"transfer alone at ", "own fit at ", "80 % interval coverage at "}) {
      for (int layers : options.target_layers) {
        if (layers > 0) matrix.columns.push_back(absl::StrCat(alone, layers));
      }
    }
    if (options.route_new_kinds) {
      matrix.columns.push_back("new kinds: own fit");
      matrix.columns.push_back("new kinds: routed");
    }
  }
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
    absl::StatusOr<TransferModel> fitted = TransferModel::Fit(sources, options.transfer);
    if (!fitted.ok()) {
      row.assign(matrix.columns.size(), kNaN);
      continue;
    }
    const auto model = std::make_shared<const TransferModel>(*std::move(fitted));
    std::vector<double> transfer_alone, own_alone, coverage;
    for (int layers : options.target_layers) {
      if (layers == 0) {
        row.push_back(MapeOn(TransferredLatencyModel(model, target.spec, FewShotCorrection{}), target.samples));
        continue;
      }
      if (static_cast<size_t>(layers) >= target.samples.size()) {
        row.push_back(kNaN);
        transfer_alone.push_back(kNaN);
        own_alone.push_back(kNaN);
        coverage.push_back(kNaN);
        continue;
      }
      FewShotErrors sum{0, 0, 0, 0};
      for (int subset = 0; subset < options.subsets; ++subset) {
        // A random draw of the target's layers refines the model; the rest judge it.
        std::vector<Sample> shuffled = SeededSubset(target.samples, static_cast<int>(target.samples.size()),
                                                    options.transfer.seed * 1000 + subset);
        std::vector<Sample> refine(shuffled.begin(), shuffled.begin() + layers);
        std::vector<Sample> test(shuffled.begin() + layers, shuffled.end());
        const FewShotErrors draw = ScoreDraw(model, target.spec, refine, test, options);
        sum.served += draw.served;
        sum.transfer += draw.transfer;
        sum.own += draw.own;  // NaN when any draw had no own fit
        sum.coverage += draw.coverage;
      }
      row.push_back(sum.served / options.subsets);
      transfer_alone.push_back(sum.transfer / options.subsets);
      own_alone.push_back(sum.own / options.subsets);
      coverage.push_back(sum.coverage / options.subsets);
    }
    // Zero-shot interval as the server would serve it: quantiles of the sources' own leave-one-out residuals.
    row.push_back(ZeroShotCoverage(*model, target, ResidualsLike(model->held_out(), target.spec)));
    row.push_back(model->RuleShare(target.spec).share);
    if (options.own_fit) {
      row.insert(row.end(), transfer_alone.begin(), transfer_alone.end());
      row.insert(row.end(), own_alone.begin(), own_alone.end());
      row.insert(row.end(), coverage.begin(), coverage.end());
      if (options.route_new_kinds) {
        const auto [own, routed] = NewKindErrors(model, target, options);
        row.push_back(own);
        row.push_back(routed);
      }
    }
  }
  return matrix;
}

}  // namespace convlat::model
