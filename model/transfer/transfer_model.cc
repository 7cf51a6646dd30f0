#include "model/transfer/transfer_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "model/transfer/internal/scaled_sources.h"
#include "model/transfer/transfer_features.h"

namespace convlat::model {

std::vector<Sample> SeededSubset(const std::vector<Sample>& samples, int count, uint64_t seed) {
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 random(seed);
  std::shuffle(order.begin(), order.end(), random);
  order.resize(std::min<size_t>(order.size(), std::max(count, 0)));
  std::vector<Sample> subset;
  subset.reserve(order.size());
  for (size_t i : order) subset.push_back(samples[i]);
  return subset;
}

SourceModelFn FitEachSource(
    std::function<absl::StatusOr<std::unique_ptr<LatencyModel>>(const std::vector<Sample>&, const HardwareInfo&)> fit) {
  return [fit = std::move(fit)](const TransferSource& source) -> absl::StatusOr<std::shared_ptr<const LatencyModel>> {
    // On all of its layers, not the subset the trees see: the cap keeps one GPU from becoming the
    // trees' model, and has no such reason here, where each source's model is its own and the
    // better it predicts its GPU, the more the stack can follow it (50 layers: 15.1 → 14.8 %).
    absl::StatusOr<std::unique_ptr<LatencyModel>> own = fit(source.samples, HardwareOf(source.spec));
    if (!own.ok()) return own.status();
    return std::shared_ptr<const LatencyModel>(*std::move(own));
  };
}

absl::StatusOr<TransferModel> TransferModel::Fit(const std::vector<TransferSource>& sources,
                                                 const TransferOptions& options) {
  std::vector<double> features;  // row-major, kTransferFeatureCount per row
  std::vector<double> targets;
  TransferModel model;
  for (size_t s = 0; s < sources.size(); ++s) {
    const TransferSource& source = sources[s];
    bool used = false;
    for (const Sample& sample : SeededSubset(source.samples, options.max_samples_per_source, options.seed + s)) {
      if (!(sample.latency_us > 0) || sample.weight <= 0) continue;
      const TransferFeatures f = ComputeTransferFeatures(sample.shape, source.spec);
      features.insert(features.end(), f.begin(), f.end());
      targets.push_back(std::log(sample.latency_us / SpecRooflineUs(sample.shape, source.spec)));
      double& floor = model.floor_us_[source.spec.tensorflow_runtime ? 1 : 0];
      floor = floor > 0 ? std::min(floor, sample.latency_us) : sample.latency_us;
      used = true;
    }
    if (used) model.source_names_.push_back(source.spec.name);
    if (used && options.source_model) {
      absl::StatusOr<std::shared_ptr<const LatencyModel>> own = options.source_model(source);
      if (own.ok() && *own != nullptr) {
        model.source_models_.push_back(*std::move(own));
        model.source_model_names_.push_back(source.spec.name);
        model.source_model_specs_.push_back(source.spec);
        model.source_model_domains_.push_back(TrainingDomain::Of(source.samples));
      }
    }
  }
  if (features.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no source platform has a positive measurement to transfer from (",
                                                   sources.size(), " sources given)"));
  }
  model.training_samples_ = static_cast<int64_t>(targets.size());
  const std::vector<double> weights(targets.size(), 1.0);
  model.trees_ = BoostedTrees::Fit(features, kTransferFeatureCount, targets, weights, options.trees);
  if (options.held_out_samples_per_source > 0) {
    model.held_out_ = LeaveOneSourceOutResiduals(sources, options);
    for (const TransferSpec& kind : model.source_model_specs_) {
      if (model.RuleShareFor(kind) == nullptr) {
        model.rule_shares_.push_back({kind, ChooseRuleShare(model, model.held_out_, kind)});
      }
    }
  }
  return model;
}

double TransferModel::FloorUs(const TransferSpec& target) const {
  const double same_framework = floor_us_[target.tensorflow_runtime ? 1 : 0];
  return same_framework > 0 ? same_framework : floor_us_[target.tensorflow_runtime ? 0 : 1];
}

double TransferModel::TreesUs(const ConvShape& shape, const TransferSpec& target) const {
  const TransferFeatures f = ComputeTransferFeatures(shape, target);
  return std::max(FloorUs(target), SpecRooflineUs(shape, target) * std::exp(trees_.Predict(f)));
}

const RuleShareChoice* TransferModel::RuleShareFor(const TransferSpec& target) const {
  for (const auto& [kind, choice] : rule_shares_) {
    if (AlikeForTheRule(kind, target)) return &choice;
  }
  return nullptr;
}

RuleShareChoice TransferModel::RuleShare(const TransferSpec& target) const {
  const RuleShareChoice* choice = RuleShareFor(target);
  return choice == nullptr ? RuleShareChoice{} : *choice;
}

double TransferModel::PredictUs(const ConvShape& shape, const TransferSpec& target, bool* with_rule,
                                std::span<const LatencyParts> sources) const {
  if (with_rule != nullptr) *with_rule = false;
  const double trees_us = TreesUs(shape, target);
  const RuleShareChoice* rule = RuleShareFor(target);
  const double share = rule == nullptr ? 0 : rule->share;
  if (share <= 0) return trees_us;
  const double rule_us = ScaledSourcesUs(*this, shape, target, {}, sources);
  if (with_rule != nullptr) *with_rule = rule_us > 0;
  return std::max(FloorUs(target), BlendWithRule(trees_us, rule_us, share));
}

namespace {

// intercept + Σ weight_j · (row_j − mean_j) / scale_j: what every ridge here predicts, on the
// standardised columns it was fitted on. Columns past the weights are not read.
template <typename Row>
double StandardisedLinear(double intercept, const std::vector<double>& weights, const std::vector<double>& mean,
                          const std::vector<double>& scale, const Row& row) {
  double value = intercept;
  for (size_t j = 0; j < weights.size(); ++j) value += weights[j] * (row[j] - mean[j]) / scale[j];
  return value;
}

}  // namespace

double FewShotCorrection::LogFactor(const std::array<double, kTransferFeatureCount>& features) const {
  return StandardisedLinear(offset, slopes, mean, scale, features);
}

SourcePredictions TransferModel::PredictSources(const ConvShape& shape, std::span<const int> only) const {
  if (only.empty()) {
    SourcePredictions predictions;
    for (const auto& source : source_models_) predictions.push_back(source->PredictParts(shape));
    return predictions;
  }
  SourcePredictions predictions(source_models_.size(), LatencyParts{.latency_us = std::nan("")});
  for (int i : only) predictions[i] = source_models_[i]->PredictParts(shape);
  return predictions;
}

std::vector<int> SourcesMeasuringKindsBeyond(const TransferModel& model, const TrainingDomain& domain,
                                             const TransferSpec& target) {
  std::vector<int> sources;
  for (size_t i = 0; i < model.source_model_domains().size(); ++i) {
    if (model.source_model_specs()[i].tensorflow_runtime == target.tensorflow_runtime &&
        model.source_model_domains()[i].HasKindsBeyond(domain)) {
      sources.push_back(static_cast<int>(i));
    }
  }
  return sources;
}

namespace {

// Solves a x = b for a small symmetric positive definite a (the ridge's normal equations).
std::vector<double> Solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t row = col + 1; row < n; ++row) {
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    }
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    for (size_t row = col + 1; row < n; ++row) {
      const double factor = a[row][col] / a[col][col];
      for (size_t k = col; k < n; ++k) a[row][k] -= factor * a[col][k];
      b[row] -= factor * b[col];
    }
  }
  std::vector<double> x(n);
  for (size_t row = n; row-- > 0;) {
    double sum = b[row];
    for (size_t k = row + 1; k < n; ++k) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
  }
  return x;
}

// A ridge regression of y on the standardised columns of x (each column less its mean, over its
// standard deviation; a constant column keeps scale 1, hence a 0 column and a 0 weight), with
// `ridge` added to the normal equations' diagonal: on standardised columns that diagonal is n, so
// each weight is shrunk by about n / (n + ridge). Both few-shot corrections are one of these.
// `row_weights` (empty: all 1) weigh each row's squared error; means are then weighted too, so the
// centred columns still sum to 0 and y_mean stays the intercept.
struct StandardisedRidge {
  std::vector<double> mean, scale, weights;
  double y_mean = 0;

  template <typename Row>
  double Fitted(const Row& row) const {
    return StandardisedLinear(y_mean, weights, mean, scale, row);
  }
};

template <typename Row>
StandardisedRidge FitStandardisedRidge(const std::vector<Row>& x, const std::vector<double>& y, size_t columns,
                                       double ridge, const std::vector<double>& row_weights = {}) {
  auto weight = [&](size_t i) { return row_weights.empty() ? 1.0 : row_weights[i]; };
  StandardisedRidge fit;
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) total += weight(i), fit.y_mean += weight(i) * y[i];
  fit.y_mean /= total;
  fit.mean.assign(columns, 0);
  fit.scale.assign(columns, 1);
  for (size_t j = 0; j < columns; ++j) {
    double sum = 0, squares = 0;
    for (size_t i = 0; i < x.size(); ++i) sum += weight(i) * x[i][j];
    fit.mean[j] = sum / total;
    for (size_t i = 0; i < x.size(); ++i) squares += weight(i) * (x[i][j] - fit.mean[j]) * (x[i][j] - fit.mean[j]);
    const double sd = std::sqrt(squares / total);
    fit.scale[j] = sd > 1e-9 ? sd : 1;
  }
  std::vector<std::vector<double>> a(columns, std::vector<double>(columns, 0));
  std::vector<double> b(columns, 0);
  std::vector<double> z(columns);
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = 0; j < columns; ++j) z[j] = (x[i][j] - fit.mean[j]) / fit.scale[j];
    for (size_t j = 0; j < columns; ++j) {
      b[j] += weight(i) * z[j] * (y[i] - fit.y_mean);
      for (size_t k = 0; k < columns; ++k) a[j][k] += weight(i) * z[j] * z[k];
    }
  }
  // On weighted rows the diagonal is the total weight rather than n: the same ridge shrinks as much.
  for (size_t j = 0; j < columns; ++j) a[j][j] += ridge * total / static_cast<double>(x.size());
  fit.weights = Solve(a, b);
  return fit;
}

// The same, robust: iteratively reweighted, each row weighted min(1, delta / |residual|) (Huber's
// loss in log units), so a few layers timed far off what the rest say (a spike, a throttled clock)
// pull on the fit no harder than a layer `delta` off. `outliers` receives how many rows ended
// down-weighted.
template <typename Row>
StandardisedRidge FitHuberStandardisedRidge(const std::vector<Row>& x, const std::vector<double>& y, size_t columns,
                                            double ridge, double delta, int* outliers) {
  StandardisedRidge fit = FitStandardisedRidge(x, y, columns, ridge);
  std::vector<double> row_weights(x.size(), 1);
  constexpr int kIterations = 10;  // the weights settle in a few; ten leaves a margin at 10 rows
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    for (size_t i = 0; i < x.size(); ++i) {
      const double residual = std::abs(y[i] - fit.Fitted(x[i]));
      row_weights[i] = residual > delta ? delta / residual : 1;
    }
    fit = FitStandardisedRidge(x, y, columns, ridge, row_weights);
  }
  *outliers = static_cast<int>(std::count_if(row_weights.begin(), row_weights.end(), [](double w) { return w < 1; }));
  return fit;
}

// The stack's columns for one layer: the log of each source model's prediction (of those in
// `stack_sources`; empty: all), then of the zero-shot transfer.
absl::InlinedVector<double, 9> StackColumns(std::span<const LatencyParts> sources, std::span<const int> stack_sources,
                                            double zero_shot_us) {
  absl::InlinedVector<double, 9> columns;
  // A prediction that is not a positive number (none should be) counts as the least, not as NaN.
  auto log_of = [](double us) { return std::log(us > 1e-3 ? us : 1e-3); };
  if (stack_sources.empty()) {
    for (const LatencyParts& source : sources) columns.push_back(log_of(source.latency_us));
  } else {
    for (int i : stack_sources) columns.push_back(log_of(sources[i].latency_us));
  }
  columns.push_back(log_of(zero_shot_us));
  return columns;
}

}  // namespace

FewShotCorrection FitFewShotCorrection(const TransferModel& model, const TransferSpec& target,
                                       const std::vector<Sample>& target_samples, double prior_layers,
                                       std::vector<int> stack_sources) {
  std::vector<const Sample*> used;
  for (const Sample& sample : target_samples) {
    if (sample.latency_us > 0) used.push_back(&sample);
  }
  const bool stacks = StacksOn(model, static_cast<int>(used.size()));
  std::vector<absl::InlinedVector<double, 9>> columns;  // the stack's, when it stacks
  std::vector<TransferFeatures> x;
  std::vector<double> e;
  for (const Sample* sample : used) {
    // Each source model run once per layer, for the zero-shot rule and the stack's columns.
    const SourcePredictions sources = stacks ? model.PredictSources(sample->shape, stack_sources) : SourcePredictions{};
    const double zero_shot_us = model.PredictUs(sample->shape, target, nullptr, sources);
    if (stacks) columns.push_back(StackColumns(sources, stack_sources, zero_shot_us));
    x.push_back(ComputeTransferFeatures(sample->shape, target));
    e.push_back(std::log(sample->latency_us / zero_shot_us));
  }
  FewShotCorrection correction;
  correction.layers = static_cast<int>(x.size());
  if (x.empty()) return correction;
  const double n = static_cast<double>(x.size());
  // Slopes on standardised features, shrunk as if `prior_layers` layers had shown no error.
  StandardisedRidge ridge = FitStandardisedRidge(x, e, kTransferFeatureCount, prior_layers);
  correction.offset = ridge.y_mean * n / (n + prior_layers);
  correction.mean = std::move(ridge.mean);
  correction.scale = std::move(ridge.scale);
  correction.slopes = std::move(ridge.weights);
  if (stacks) {
    std::vector<double> log_us;
    for (const Sample* sample : used) log_us.push_back(std::log(sample->latency_us));
    StandardisedRidge stack = FitHuberStandardisedRidge(columns, log_us, columns.front().size(), kStackRidge,
                                                        kStackHuberDelta, &correction.stack_outliers);
    correction.stack_intercept = stack.y_mean;
    correction.stack_mean = std::move(stack.mean);
    correction.stack_scale = std::move(stack.scale);
    correction.stack_weights = std::move(stack.weights);
    correction.stack_sources = std::move(stack_sources);
  }
  return correction;
}

RefinedPrediction PredictRefined(const TransferModel& model, const TransferSpec& target,
                                 const FewShotCorrection& correction, const ConvShape& shape) {
  RefinedPrediction refined;
  const SourcePredictions sources =
      correction.stacked() ? model.PredictSources(shape, correction.stack_sources) : SourcePredictions{};
  refined.zero_shot_us = model.PredictUs(shape, target, &refined.with_rule, sources);
  if (correction.layers == 0) {
    refined.us = refined.zero_shot_us;
  } else if (correction.stacked()) {
    // The columns are those the stack was fitted on: one per source model, then the transfer.
    refined.us = std::exp(StandardisedLinear(correction.stack_intercept, correction.stack_weights,
                                             correction.stack_mean, correction.stack_scale,
                                             StackColumns(sources, correction.stack_sources, refined.zero_shot_us)));
  } else {
    refined.us = refined.zero_shot_us * std::exp(correction.LogFactor(ComputeTransferFeatures(shape, target)));
  }
  return refined;
}

std::vector<HeldOutSourceResiduals> LeaveOneSourceOutResiduals(const std::vector<TransferSource>& sources,
                                                               const TransferOptions& options) {
  std::vector<HeldOutSourceResiduals> held_out_residuals;
  if (sources.size() < 2 || options.held_out_samples_per_source <= 0) return held_out_residuals;
  // The trees alone, on as many layers of each source as are judged: the residuals need only their
  // quantiles and the rule's share one number, and a fit per source stays well under a second.
  TransferOptions trees_only = options;
  trees_only.source_model = nullptr;
  trees_only.held_out_samples_per_source = 0;
  trees_only.max_samples_per_source = options.held_out_samples_per_source;
  for (size_t held_out = 0; held_out < sources.size(); ++held_out) {
    std::vector<TransferSource> others;
    for (size_t s = 0; s < sources.size(); ++s) {
      if (s != held_out) others.push_back(sources[s]);
    }
    absl::StatusOr<TransferModel> model = TransferModel::Fit(others, trees_only);
    if (!model.ok()) continue;
    const TransferSource& target = sources[held_out];
    HeldOutSourceResiduals residuals{.spec = target.spec};
    for (const Sample& sample :
         SeededSubset(target.samples, options.held_out_samples_per_source, options.seed + held_out)) {
      if (!(sample.latency_us > 0)) continue;
      const double predicted = model->TreesUs(sample.shape, target.spec);
      if (predicted > 0 && std::isfinite(predicted)) {
        residuals.log_residuals.push_back(std::log(sample.latency_us / predicted));
        residuals.samples.push_back(sample);
        residuals.trees_us.push_back(predicted);
      }
    }
    held_out_residuals.push_back(std::move(residuals));
  }
  return held_out_residuals;
}

std::vector<double> ResidualsLike(const std::vector<HeldOutSourceResiduals>& held_out, const TransferSpec& target) {
  std::vector<double> same_framework, all;
  for (const HeldOutSourceResiduals& source : held_out) {
    all.insert(all.end(), source.log_residuals.begin(), source.log_residuals.end());
    if (source.spec.tensorflow_runtime == target.tensorflow_runtime) {
      same_framework.insert(same_framework.end(), source.log_residuals.begin(), source.log_residuals.end());
    }
  }
  return same_framework.empty() ? all : same_framework;
}

}  // namespace convlat::model
