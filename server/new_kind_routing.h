#pragma once
// A GPU served its own fit answers the kinds of layer it never measured (a 1x1, 7x7 or strided
// convolution on a GPU profiled with 3x3 stride-1 layers only) from the transfer, stacked on its
// layers over the GPUs timed through the same framework that measured such kinds
// (model/kind_routed_model.h). Core functions of the registry's refit, without its threads.

#include <vector>

#include "model/latency/samples.h"
#include "model/transfer/transfer_spec.h"
#include "server/fitted_model.h"
#include "server/transfer_sources.h"

namespace convlat::server {

// Whether the snapshot's kinds never measured are answered by the transfer already.
bool RoutesNewKinds(const FittedModel& snapshot);

// Whether `other` is a GPU served its own fit (alone or blended) on kinds of layer that `snapshot`'s
// own layers lack, timed through the same framework: a source the transfer needs to answer those
// kinds for `snapshot`.
bool MeasuredKindsBeyond(const FittedModel& other, const FittedModel& snapshot);

// Wraps `snapshot`'s conv model (the platform's own fit on `samples`, or its blend with the
// transfer) so that layers of kinds none of them is come from `transfer`
// (model::RouteNewKindsToTransfer), and says so in its parameters ("new_kinds.*"). Leaves it as it
// is when no source of the transfer measured a kind they lack. Returns whether it routed.
bool RouteNewKinds(const SourceTransfer& transfer, const std::vector<model::Sample>& samples,
                   const model::TransferSpec& spec, FittedModel& snapshot);

}  // namespace convlat::server
