#pragma once
// A whole network run for real on this CPU with oneDNN: every layer of an imported network as
// its primitive, executed in order, pass after pass, as a runtime executes them, each layer
// reading the activations the layer before it wrote (the data is random and not the network's,
// which timing does not need). This is the measured latency that convlat's whole-network
// predictions are checked against.

#include <vector>

#include "absl/status/statusor.h"
#include "model/layers/network.h"
#include "profiler_agent/backend/network_run.h"

namespace convlat::agent {

// Every layer in `layout` (unspecified: as imported), warmed up, then `runs` timed passes.
// FAILED_PRECONDITION when no layer could be set up.
absl::StatusOr<NetworkRun> RunNetworkOnOneDnn(const std::vector<model::NetworkLayer>& layers, v1::Layout layout,
                                              int runs);

}  // namespace convlat::agent
