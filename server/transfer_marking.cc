#include "server/transfer_marking.h"

#include "absl/strings/str_cat.h"
#include "model/transfer/blended_latency_model.h"

namespace convlat::server {

void MarkTransferred(v1::LayerPrediction& prediction) {
  v1::Explanation& why = *prediction.mutable_explanation();
  if (why.measured()) return;  // the platform's own measurement of this very layer: not transferred
  prediction.set_transferred(true);
  if (why.model_kind() == "transfer") {  // a blend's intervals are its own held-out residuals
    prediction.set_interval_from_transfer(prediction.p90_us() > 0);
  } else if (why.transfer().empty()) {
    why.set_transfer("spec roofline of a platform without measurements of its own (transferred estimate)");
  }
}

std::string TransferNote(const FittedModel& model) {
  const std::string description = model.model != nullptr ? model::TransferDescription(*model.model) : "";
  return absl::StrCat("transferred estimate: ", description.empty() ? std::string("transferred") : description,
                      "; 80 % intervals of convolutions from leave-one-GPU-out residuals, other ops from the "
                      "spec roofline");
}

}  // namespace convlat::server
