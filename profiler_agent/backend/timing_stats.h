#pragma once
// Latency statistics from repeated timings.

#include <vector>

#include "convlat/v1/types.pb.h"

namespace convlat::agent {

// Median, min and the 10th/90th percentiles (nearest rank) of `samples_us`; empty gives zeros.
v1::LatencyStats SummarizeTimings(std::vector<double> samples_us);

}  // namespace convlat::agent
