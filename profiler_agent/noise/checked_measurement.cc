#include "profiler_agent/noise/checked_measurement.h"

#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace convlat::agent {
namespace {

// One measurement with what the check found.
struct Judged {
  v1::Measurement measurement;
  bool unsteady = false;
  bool throttled = false;
  double score = 0;  // SpreadVerdict::score
  std::string reason;

  // Steady before unsteady, unthrottled before throttled, then the narrower spread.
  bool SteadierThan(const Judged& other) const {
    return std::tie(unsteady, throttled, score) < std::tie(other.unsteady, other.throttled, other.score);
  }
};

Judged Judge(v1::Measurement measurement, const NoiseCheckOptions& options) {
  Judged judged;
  if (!measurement.failed()) {
    const SpreadVerdict spread = CheckSpread(measurement.latency(), options.limits);
    judged.throttled = SmClockThrottled(measurement.sm_clock_mhz_before(), measurement.sm_clock_mhz_after(),
                                        options.max_sm_clock_drop_share);
    judged.unsteady = !spread.stable || judged.throttled;
    judged.score = spread.score;
    judged.reason = spread.reason;
    if (judged.throttled) {
      absl::StrAppend(&judged.reason, judged.reason.empty() ? "" : ", ", "SM clock ", measurement.sm_clock_mhz_before(),
                      " -> ", measurement.sm_clock_mhz_after(), " MHz");
    }
  }
  judged.measurement = std::move(measurement);
  return judged;
}

std::vector<Judged> Attempt(absl::FunctionRef<std::vector<v1::Measurement>()> measure,
                            absl::FunctionRef<int()> read_sm_clock, const NoiseCheckOptions& options) {
  const int before = read_sm_clock();
  std::vector<v1::Measurement> measurements = measure();
  const int after = read_sm_clock();
  std::vector<Judged> judged;
  for (v1::Measurement& m : measurements) {
    m.set_sm_clock_mhz_before(before);
    m.set_sm_clock_mhz_after(after);
    judged.push_back(Judge(std::move(m), options));
  }
  return judged;
}

bool AnyUnsteady(const std::vector<Judged>& kept) {
  for (const Judged& j : kept) {
    if (j.unsteady) return true;
  }
  return false;
}

}  // namespace

CheckedConfig MeasureChecked(absl::FunctionRef<std::vector<v1::Measurement>()> measure,
                             absl::FunctionRef<int()> read_sm_clock, const NoiseCheckOptions& options) {
  std::vector<Judged> kept = Attempt(measure, read_sm_clock, options);
  CheckedConfig result;
  while (AnyUnsteady(kept) && result.remeasurements < options.max_remeasurements) {
    ++result.remeasurements;
    std::vector<Judged> again = Attempt(measure, read_sm_clock, options);
    // Each kept measurement is matched with the same algorithm's in the new attempt.
    std::vector<bool> matched(again.size(), false);
    for (Judged& slot : kept) {
      if (slot.measurement.failed()) continue;
      for (size_t i = 0; i < again.size(); ++i) {
        const v1::Measurement& candidate = again[i].measurement;
        if (matched[i] || candidate.failed() || candidate.algorithm() != slot.measurement.algorithm()) continue;
        matched[i] = true;
        if (again[i].SteadierThan(slot)) slot = std::move(again[i]);
        break;
      }
    }
  }
  double worst_score = -1;
  for (Judged& slot : kept) {
    slot.measurement.set_remeasurements(result.remeasurements);
    slot.measurement.set_noisy(slot.unsteady);
    if (slot.unsteady) {
      result.noisy = true;
      result.throttled = result.throttled || slot.throttled;
      if (slot.score > worst_score) {
        worst_score = slot.score;
        result.reason = slot.reason;
      }
    }
    result.measurements.push_back(std::move(slot.measurement));
  }
  return result;
}

}  // namespace convlat::agent
