#include "server/new_kind_routing.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/kind_routed_model.h"

namespace convlat::server {

bool RoutesNewKinds(const FittedModel& snapshot) {
  return dynamic_cast<const model::KindRoutedModel*>(snapshot.model.get()) != nullptr;
}

bool MeasuredKindsBeyond(const FittedModel& other, const FittedModel& snapshot) {
  // A platform served the transfer alone has too few layers of its own to be a source.
  if (other.transferred || other.platform.kind() != v1::PLATFORM_KIND_GPU ||
      snapshot.platform.kind() != v1::PLATFORM_KIND_GPU ||
      model::TimedThroughTensorFlow(other.platform) != model::TimedThroughTensorFlow(snapshot.platform)) {
    return false;
  }
  return other.own_domain.HasKindsBeyond(snapshot.own_domain);
}

bool RouteNewKinds(const SourceTransfer& transfer, const std::vector<model::Sample>& samples,
                   const model::TransferSpec& spec, FittedModel& snapshot) {
  snapshot.model = model::RouteNewKindsToTransfer(std::move(snapshot.model), samples, transfer.model, spec);
  const auto* routed = dynamic_cast<const model::KindRoutedModel*>(snapshot.model.get());
  if (routed == nullptr) return false;
  auto& parameters = *snapshot.info.mutable_parameters();
  for (const auto& [name, value] : routed->transferred().parameters())
    parameters[absl::StrCat("new_kinds.", name)] = value;
  return true;
}

}  // namespace convlat::server
