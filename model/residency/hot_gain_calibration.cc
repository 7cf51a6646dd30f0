#include "model/residency/hot_gain_calibration.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace convlat::model {
namespace {

struct Totals {
  double evicted_us = 0;
  double gain_us = 0;  // sum of hot_share * (evicted - hot): what kept = 1 takes off
};

Totals Sum(const CalibrationNetwork& network) {
  Totals totals;
  for (const CalibrationLayer& layer : network.layers) {
    totals.evicted_us += layer.evicted_us;
    totals.gain_us += layer.hot_share * (layer.evicted_us - layer.hot_us);
  }
  return totals;
}

}  // namespace

double InNetworkUs(double evicted_us, double hot_us, double hot_share, double kept) {
  return evicted_us - kept * hot_share * (evicted_us - hot_us);
}

absl::StatusOr<HotGainFit> FitHotGainKept(const std::vector<CalibrationNetwork>& networks) {
  if (networks.empty()) return absl::InvalidArgumentError("no networks to calibrate with");
  // Minimizes sum over networks of ((evicted - kept * gain - measured) / measured)^2.
  double numerator = 0;
  double denominator = 0;
  double gain_us = 0;
  std::vector<Totals> totals;
  for (const CalibrationNetwork& network : networks) {
    if (network.layers.empty() || !(network.measured_us > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("network '", network.name, "' has no layer that was both timed alone and run in it"));
    }
    const Totals& t = totals.emplace_back(Sum(network));
    const double gain = t.gain_us / network.measured_us;
    numerator += gain * (t.evicted_us - network.measured_us) / network.measured_us;
    gain_us += t.gain_us;
    denominator += gain * gain;
  }
  // Hot timings slower than evicted ones overall say the layers were timed on a busy machine.
  if (!(denominator > 0) || !(gain_us > 0)) {
    return absl::FailedPreconditionError(
        "no layer of these networks is expected to find its data cached faster than evicted (last-level cache "
        "unknown or too small for them, no hot timings, or hot timings slower than evicted ones, as on a busy "
        "machine): there is no hot gain to calibrate");
  }
  HotGainFit fit;
  fit.unclamped = numerator / denominator;
  fit.kept = std::clamp(fit.unclamped, 0.0, 1.0);
  for (size_t i = 0; i < networks.size(); ++i) {
    fit.networks.push_back({.name = networks[i].name,
                            .measured_us = networks[i].measured_us,
                            .evicted_us = totals[i].evicted_us,
                            .walk_us = totals[i].evicted_us - totals[i].gain_us,
                            .fitted_us = totals[i].evicted_us - fit.kept * totals[i].gain_us});
  }
  return fit;
}

}  // namespace convlat::model
