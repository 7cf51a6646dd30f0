#pragma once
// The snapshot a platform's own serving fit (model/serving_model.h) is published as: the models,
// their intervals and what GetPlatformModel says of them. A pure function of the fit, so the
// registry's own path and the transfer path (transferred_refit.h) build it alike.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "convlat/v1/types.pb.h"
#include "model/serving_model.h"
#include "server/fitted_model.h"

namespace convlat::server {

// `described`: the platform as registered (completed from its data sheet), when the store has it.
// Takes the fit's models; fit_seconds is left for the caller, who knows what the refit cost.
std::shared_ptr<FittedModel> SnapshotOfServingModel(const std::string& platform,
                                                    const std::optional<v1::Platform>& described,
                                                    model::ServingModel fitted, int64_t successful);

}  // namespace convlat::server
