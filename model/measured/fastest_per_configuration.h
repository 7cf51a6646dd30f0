#pragma once
// One measurement per configuration, the fastest: `convlat-agent --algo all` records every
// algorithm of a layer, and a framework runs the fastest of them (as cudnn.benchmark does). Both
// the fits' samples (latency/samples.h, which keep noisy measurements, down-weighted later) and the
// table of measured layers (measured_layers.h, which does not) are built on it.

#include <vector>

#include "absl/functional/function_ref.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// Of the measurements `keep` accepts, the fastest of each configuration (a convolution by its
// ConvShape, an op by its OpConfiguration: compared normalized), in the order the configurations
// first appear; of equally fast ones the first.
std::vector<const v1::Measurement*> FastestPerConfiguration(const std::vector<v1::Measurement>& measurements,
                                                            absl::FunctionRef<bool(const v1::Measurement&)> keep);

}  // namespace convlat::model
