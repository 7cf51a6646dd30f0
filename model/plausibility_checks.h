#pragma once
// Checks of a fitted model against its own training data before the server serves it (issue 14):
// a fit can be the least-squares optimum and still be nonsense for the platform, as the activation
// model fitted to a sweep that ran beside another job was (fixed_us 5297, no bandwidth: every
// activation, 80 bytes or 3 MB, predicted at 5.3 ms). Such a fit is rejected and its layers go to
// the next fallback (serving_model.cc says which); nothing implausible is served silently.
//
// What is implausible, for one fit and the layers it was fitted on (those with a positive weight):
//  - fixed_above_slowest_layer: a fixed cost, paid by every layer, above the slowest layer measured;
//  - no_size_term: no byte or flop term (zero bandwidth and throughput) while the fixed cost is
//    more than kNoSizeTermFactor times the fastest layer measured: a size-blind model that cannot
//    even explain the group's small layers;
//  - outside_training_range: a prediction for a training layer outside [min / k, max · k] of the
//    measured latencies, k = kRangeFactor: far beyond anything the data spans;
//  - disagrees_with_broader_fit (an op function's group, e.g. sigmoids, against its kind's fit):
//    over the group's layers, the median ratio of its predictions to those of the broader fit
//    beyond k either way. A function costs more per element than another, not ten
//    times more over a whole sweep: when every sigmoid of a sweep ran beside another job (the
//    issue's EfficientNet: 104 sigmoids, 551 of 654 ms), the sigmoid fit is consistent with its own
//    data, and only the platform's other activations show it wrong.
// The fastest layer is the trustworthy end of a group: interference only ever slows a layer down.

#include <optional>
#include <string>
#include <vector>

#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"

namespace convlat::model {

inline constexpr double kNoSizeTermFactor = 3;
inline constexpr double kRangeFactor = 10;

struct Implausibility {
  std::string check;   // fixed_above_slowest_layer, no_size_term, outside_training_range, disagrees_with_broader_fit
  std::string reason;  // the check with its figures
};

// A convolution model against the samples it was fitted on. Its fixed cost is what it charges the
// smallest convolution there is (LaunchFloorUs); "no size term" applies to a model whose
// parameters say so (the roofline's bandwidth_gbps and throughput_gflops both 0).
std::optional<Implausibility> CheckConvModel(const LatencyModel& model, const std::vector<Sample>& samples);

// One group's fit of an op model (`group` as in OpLatencyModel::groups()) against the samples of
// that group and, when there is one, against the `broader` fit its ops would otherwise get.
std::optional<Implausibility> CheckOpGroup(const OpLatencyModel& model, const OpLatencyModel::GroupCosts& group,
                                           const std::vector<OpSample>& samples,
                                           const std::optional<std::string>& broader);

}  // namespace convlat::model
