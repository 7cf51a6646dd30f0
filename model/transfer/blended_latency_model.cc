#include "model/transfer/blended_latency_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/interval/training_domain.h"

namespace convlat::model {

double OwnFitWeight(int own_layers, bool stacked) {
  const double n = std::max(own_layers, 0);
  return n / (n + (stacked ? kStackedTransferWorthLayers : kTransferWorthLayers));
}

BlendedLatencyModel::BlendedLatencyModel(std::unique_ptr<const LatencyModel> own,
                                         std::unique_ptr<const TransferredLatencyModel> transfer, int own_layers,
                                         std::optional<double> own_weight)
    : own_(std::move(own)),
      transfer_(std::move(transfer)),
      own_layers_(own_layers),
      rule_weight_(OwnFitWeight(own_layers, transfer_->stacked())),
      own_weight_(own_weight.value_or(rule_weight_)),
      cross_validated_(own_weight.has_value()) {
  description_ = absl::StrFormat("%.0f %% the platform's own %s fit on %d layers, %.0f %% transferred from %s%s%s",
                                 100 * own_weight_, own_->kind(), own_layers_, 100 * (1 - own_weight_),
                                 absl::StrJoin(transfer_->source_names(), ", "),
                                 transfer_->stacked() ? " (stacked over their own models)" : "",
                                 cross_validated_ ? "; the shares cross-validated on the platform's layers" : "");
}

Prediction BlendedLatencyModel::Predict(const ConvShape& shape) const {
  Prediction prediction = own_->Predict(shape);
  const double transferred_us = transfer_->LatencyUs(shape);
  if (prediction.latency_us > 0 && transferred_us > 0) {
    // The own model's compute and memory shares are fractions: they stay as it attributes them.
    prediction.latency_us =
        std::exp(own_weight_ * std::log(prediction.latency_us) + (1 - own_weight_) * std::log(transferred_us));
  } else if (!(prediction.latency_us > 0)) {
    prediction.latency_us = transferred_us;
  }
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind(kind());
  why.set_transfer(description_);
  for (const std::string& source : transfer_->source_names()) why.add_transferred_from(source);
  why.set_transfer_target_layers(own_layers_);
  return prediction;
}

std::map<std::string, double> BlendedLatencyModel::parameters() const {
  std::map<std::string, double> out = own_->parameters();
  for (const auto& [name, value] : transfer_->parameters()) out[name] = value;
  out["blend.own_weight"] = own_weight_;
  out["blend.rule_own_weight"] = rule_weight_;
  return out;
}

double CrossValidatedOwnFitWeight(const std::shared_ptr<const TransferModel>& model, const TransferSpec& target,
                                  const std::vector<Sample>& samples, const ConvFitter& own_fit, double rule_weight) {
  // Each held-out layer's log prediction by the own fit and by the refined transfer, both fitted
  // without its fold: the interval calibration's folds, every one held out in turn (a blend has
  // fewer than kCrossValidateUpTo layers).
  std::vector<double> log_own, log_transferred, measured;
  ForEachCalibrationFold(samples, [&](const std::vector<Sample>& train, const std::vector<Sample>& test) {
    absl::StatusOr<std::unique_ptr<LatencyModel>> own = own_fit(train);
    if (!own.ok()) return;
    const TransferredLatencyModel transferred(model, target, FitFewShotCorrection(*model, target, train));
    for (const Sample& sample : test) {
      const double own_us = (*own)->Predict(sample.shape).latency_us;
      const double transferred_us = transferred.LatencyUs(sample.shape);
      if (!(own_us > 0) || !(transferred_us > 0) || !(sample.latency_us > 0)) continue;
      log_own.push_back(std::log(own_us));
      log_transferred.push_back(std::log(transferred_us));
      measured.push_back(sample.latency_us);
    }
  });
  if (measured.empty()) return rule_weight;
  constexpr int kSteps = 20;
  double best_weight = rule_weight, best_error = std::numeric_limits<double>::infinity();
  for (int step = 0; step <= kSteps; ++step) {
    const double weight = static_cast<double>(step) / kSteps;
    double error = 0;
    for (size_t i = 0; i < measured.size(); ++i) {
      error += std::abs(std::exp(weight * log_own[i] + (1 - weight) * log_transferred[i]) / measured[i] - 1);
    }
    if (error < best_error) best_error = error, best_weight = weight;
  }
  const double n = static_cast<double>(measured.size());
  return (n * best_weight + kBlendRulePriorLayers * rule_weight) / (n + kBlendRulePriorLayers);
}

double RuleOwnFitWeight(const TransferModel& model, const std::vector<Sample>& samples) {
  const auto layers =
      static_cast<int>(std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return s.latency_us > 0; }));
  return OwnFitWeight(static_cast<int>(samples.size()), StacksOn(model, layers));
}

double ChooseOwnFitWeight(const std::shared_ptr<const TransferModel>& model, const TransferSpec& target,
                          const std::vector<Sample>& samples, const ConvFitter& own_fit) {
  return CrossValidatedOwnFitWeight(model, target, samples, own_fit, RuleOwnFitWeight(*model, samples));
}

std::unique_ptr<LatencyModel> TransferredOrBlended(std::shared_ptr<const TransferModel> model,
                                                   const TransferSpec& target, const std::vector<Sample>& samples,
                                                   std::unique_ptr<const LatencyModel> own,
                                                   std::optional<double> own_weight) {
  const FewShotCorrection correction = FitFewShotCorrection(*model, target, samples);
  auto transferred = std::make_unique<TransferredLatencyModel>(std::move(model), target, correction);
  if (own == nullptr) return transferred;
  return std::make_unique<BlendedLatencyModel>(std::move(own), std::move(transferred), static_cast<int>(samples.size()),
                                               own_weight);
}

ConvFitter BlendedFitter(std::shared_ptr<const TransferModel> model, TransferSpec target, ConvFitter own_fit,
                         std::optional<double> own_weight) {
  return [model = std::move(model), target = std::move(target), own_fit = std::move(own_fit),
          own_weight](const std::vector<Sample>& samples) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    absl::StatusOr<std::unique_ptr<LatencyModel>> own = own_fit(samples);
    return TransferredOrBlended(model, target, samples,
                                own.ok() ? *std::move(own) : std::unique_ptr<const LatencyModel>(), own_weight);
  };
}

std::string TransferDescription(const LatencyModel& model) {
  if (const auto* checked = dynamic_cast<const DomainCheckedModel*>(&model))
    return TransferDescription(checked->model());
  if (const auto* blended = dynamic_cast<const BlendedLatencyModel*>(&model)) return blended->description();
  if (const auto* transferred = dynamic_cast<const TransferredLatencyModel*>(&model)) return transferred->description();
  return "";
}

}  // namespace convlat::model
