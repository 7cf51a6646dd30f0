#pragma once
// How much of its hot gain a layer keeps inside a network, per platform, fitted from networks run
// on it. The cache walk (cache_residency.h) says which share of a layer's bytes can still be in the
// last-level cache; what that share buys depends on the machine. A layer timed hot runs right after
// itself, its data in the private L1/L2 as far as it fits; inside a network its data is at best in
// a last-level cache shared with other cores and tenants. On the AVX2 VM that recorded
// data/measurements/cpu-epyc-2core (32 MiB of L3 per core) the whole pull toward the hot timing was
// right; on the Zen 5 VM of cpu-zen5-2core (about 10 MiB) the layers kept little of it
// (docs/accuracy.md). So the walk's hot share is multiplied by one factor per platform and layout,
// measured by running a few networks there (`convlat-agent calibrate`), not assumed.
//
// The model: a layer inside a network takes evicted - kept * hot_share * (evicted - hot). `kept`
// is fitted on whole-network totals (a runner's per-layer split is the noisier figure), each
// network weighted alike by its relative error.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace convlat::model {

struct CalibrationLayer {
  double evicted_us = 0;
  double hot_us = 0;
  double hot_share = 0;  // LayerResidency::hot_share, from the cache walk
};

struct CalibrationNetwork {
  std::string name;
  std::vector<CalibrationLayer> layers;  // the layers both timed alone and run in the network
  double measured_us = 0;                // those layers' time in the network run
};

struct CalibratedNetwork {
  std::string name;
  double measured_us = 0;
  double evicted_us = 0;  // every layer at its evicted timing
  double walk_us = 0;     // the walk's whole pull toward hot (kept = 1)
  double fitted_us = 0;   // with the fitted factor
};

struct HotGainFit {
  // Clamped to [0, 1]: a layer cannot keep more than its whole hot gain, nor run slower than
  // evicted because of what is cached.
  double kept = 1;
  // Before clamping: below 0 says the layers ran slower inside the networks than their evicted
  // timings (the machine slowed down, or something other than the cache), above 1 that they ran
  // faster than the walk expects.
  double unclamped = 1;
  std::vector<CalibratedNetwork> networks;
};

// evicted - kept * hot_share * (evicted - hot): one layer's time inside a network.
double InNetworkUs(double evicted_us, double hot_us, double hot_share, double kept);

// Least squares on the networks' relative errors. INVALID_ARGUMENT for a network without layers or
// a measured time; FAILED_PRECONDITION when no layer of any network is expected to find anything
// cached, or the layers were not faster hot overall (nothing to fit: a last-level cache the walk
// thinks too small, hot timings missing, or timings taken on a busy machine).
absl::StatusOr<HotGainFit> FitHotGainKept(const std::vector<CalibrationNetwork>& networks);

}  // namespace convlat::model
