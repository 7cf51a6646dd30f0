#include "model/transfer/blended_latency_model.h"

#include <algorithm>
#include <cmath>
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
                                         std::unique_ptr<const TransferredLatencyModel> transfer, int own_layers)
    : own_(std::move(own)),
      transfer_(std::move(transfer)),
      own_layers_(own_layers),
      own_weight_(OwnFitWeight(own_layers, transfer_->stacked())) {
  description_ = absl::StrFormat("%.0f %% the platform's own %s fit on %d layers, %.0f %% transferred from %s%s",
                                 100 * own_weight_, own_->kind(), own_layers_, 100 * (1 - own_weight_),
                                 absl::StrJoin(transfer_->source_names(), ", "),
                                 transfer_->stacked() ? " (stacked over their own models)" : "");
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
  return out;
}

std::unique_ptr<LatencyModel> TransferredOrBlended(std::shared_ptr<const TransferModel> model,
                                                   const TransferSpec& target, const std::vector<Sample>& samples,
                                                   std::unique_ptr<const LatencyModel> own) {
  const FewShotCorrection correction = FitFewShotCorrection(*model, target, samples);
  auto transferred = std::make_unique<TransferredLatencyModel>(std::move(model), target, correction);
  if (own == nullptr) return transferred;
  return std::make_unique<BlendedLatencyModel>(std::move(own), std::move(transferred),
                                               static_cast<int>(samples.size()));
}

ConvFitter BlendedFitter(std::shared_ptr<const TransferModel> model, TransferSpec target, ConvFitter own_fit) {
  return [model = std::move(model), target = std::move(target), own_fit = std::move(own_fit)](
             const std::vector<Sample>& samples) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    absl::StatusOr<std::unique_ptr<LatencyModel>> own = own_fit(samples);
    return TransferredOrBlended(model, target, samples,
                                own.ok() ? *std::move(own) : std::unique_ptr<const LatencyModel>());
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
