#pragma once
// How a transferred prediction says so in the API: the flags of LayerPrediction, the explanation
// of the layers the transfer does not cover (ops: spec roofline), and the network's note.

#include <string>

#include "convlat/v1/latency.pb.h"
#include "server/model_registry.h"

namespace convlat::server {

// Marks a prediction of a platform served the transfer model. A convolution's interval comes from
// the leave-one-GPU-out residuals (interval_from_transfer); another op's is the spec roofline's.
// A layer the platform measured itself (explanation.measured) is answered with that measurement
// and left unmarked.
void MarkTransferred(v1::LayerPrediction& prediction);

// "transferred estimate: transferred from gpu-t4, ... (no measurements of this platform); 80 %
// intervals from leave-one-GPU-out residuals".
std::string TransferNote(const FittedModel& model);

}  // namespace convlat::server
