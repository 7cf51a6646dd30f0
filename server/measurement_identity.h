#pragma once
// Which stored measurement a new one supersedes: a re-measurement (convlat-agent --remeasure, or
// a second run of the same sweep) replaces the platform's current measurement of the same
// configuration, which the stores keep as history (superseded_at) instead of deleting it.

#include <string>

#include "convlat/v1/types.pb.h"

namespace convlat::server {

// The identity of what `m` measured, as stored text: the conv (or op) parameters with defaults
// filled in (stride 0 and 1 are the same convolution), so data type, layout and math mode with
// them, plus the backend, the algorithm and the fused ops. The algorithm is part of it because
// `--algo all` stores one measurement per algorithm of a configuration, and the fused ops because
// the Justus import stores the same convolution with and without bias and activation: neither is
// a re-measurement of the other.
std::string MeasurementIdentity(const v1::Measurement& m);

}  // namespace convlat::server
