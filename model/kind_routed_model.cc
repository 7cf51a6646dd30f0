#include "model/kind_routed_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace convlat::model {

KindRoutedModel::KindRoutedModel(std::unique_ptr<const LatencyModel> own, TrainingDomain own_domain,
                                 std::unique_ptr<const TransferredLatencyModel> transferred,
                                 std::vector<TrainingDomain> source_domains)
    : own_(std::move(own)),
      own_domain_(std::move(own_domain)),
      transferred_(std::move(transferred)),
      source_domains_(std::move(source_domains)) {
  transfer_text_ = absl::StrCat("a kind of layer this platform never measured, answered by the transfer: ",
                                transferred_->description());
}

bool KindRoutedModel::Transferred(const ConvShape& shape) const {
  return own_domain_.NewKind(shape) && std::any_of(source_domains_.begin(), source_domains_.end(),
                                                   [&shape](const TrainingDomain& d) { return !d.NewKind(shape); });
}

Prediction KindRoutedModel::Predict(const ConvShape& shape) const {
  if (!Transferred(shape)) return own_->Predict(shape);
  Prediction prediction = transferred_->Predict(shape);
  v1::Explanation& why = prediction.explanation;
  why.set_transfer(transfer_text_);
  why.set_new_kind_transferred(true);
  // Still a layer the platform never timed: the reason stays, and with it the assumed interval.
  why.set_extrapolation(own_domain_.Outside(shape));
  return prediction;
}

LatencyParts KindRoutedModel::PredictParts(const ConvShape& shape) const {
  return Transferred(shape) ? transferred_->PredictParts(shape) : own_->PredictParts(shape);
}

std::map<std::string, double> KindRoutedModel::parameters() const {
  std::map<std::string, double> parameters = own_->parameters();
  for (const auto& [name, value] : transferred_->parameters()) parameters[absl::StrCat("new_kinds.", name)] = value;
  return parameters;
}

std::unique_ptr<const LatencyModel> RouteNewKindsToTransfer(std::unique_ptr<const LatencyModel> own,
                                                            const std::vector<Sample>& samples,
                                                            std::shared_ptr<const TransferModel> transfer,
                                                            const TransferSpec& target) {
  TrainingDomain domain = TrainingDomain::Of(samples);
  std::vector<int> sources = SourcesMeasuringKindsBeyond(*transfer, domain, target);
  if (sources.empty() || !StacksOn(*transfer, static_cast<int>(samples.size()))) return own;
  std::vector<TrainingDomain> source_domains;
  for (int i : sources) source_domains.push_back(transfer->source_model_domains()[i]);
  FewShotCorrection correction =
      FitFewShotCorrection(*transfer, target, samples, kFewShotPriorLayers, std::move(sources));
  auto transferred =
      std::make_unique<const TransferredLatencyModel>(std::move(transfer), target, std::move(correction));
  return std::make_unique<const KindRoutedModel>(std::move(own), std::move(domain), std::move(transferred),
                                                 std::move(source_domains));
}

}  // namespace convlat::model
