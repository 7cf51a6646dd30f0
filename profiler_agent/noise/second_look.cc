#include "profiler_agent/noise/second_look.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convlat::agent {
namespace {

// The measurement of `algorithm` among `measurements` that succeeded; null when none did.
const v1::Measurement* Find(const std::vector<v1::Measurement>& measurements, const std::string& algorithm) {
  for (const v1::Measurement& m : measurements) {
    if (!m.failed() && m.algorithm() == algorithm) return &m;
  }
  return nullptr;
}

// "median 7972 us, 82.2x the second look's 97 us" when `first` is beyond `limit` times `second`.
std::string Compare(const char* what, const v1::LatencyStats& first, const v1::LatencyStats& second, double limit) {
  if (first.median_us() <= 0 || second.median_us() <= 0) return "";
  const double ratio = first.median_us() / second.median_us();
  if (ratio <= limit) return "";
  return absl::StrFormat("%s %.0f us, %.1fx the second look's %.0f us", what, first.median_us(), ratio,
                         second.median_us());
}

// Evicted and hot medians together: interference adds time to either.
double TotalMedianUs(const v1::Measurement& m) { return m.latency().median_us() + m.hot_latency().median_us(); }

}  // namespace

// As brief as a hot timing after an evicted one. Fewer runs save little: on the Zen 5 VM a look of 3
// runs instead of 5 saved 3 % of the sweep's time and flagged twice as many configurations (its
// median is the noisier).
TimingOptions SecondLookTiming(const TimingOptions& full) { return HotTiming(full); }

double FirstOverSecond(const v1::Measurement& first, const v1::Measurement& second) {
  if (first.failed() || second.failed()) return 0;
  double ratio = 0;
  for (auto stats : {&v1::Measurement::latency, &v1::Measurement::hot_latency}) {
    const double a = (first.*stats)().median_us();
    const double b = (second.*stats)().median_us();
    if (a > 0 && b > 0) ratio = std::max(ratio, a / b);
  }
  return ratio;
}

std::string SlowedThroughout(const v1::Measurement& first, const v1::Measurement& second, double limit) {
  if (first.failed() || second.failed()) return "";
  std::string reason = Compare("median", first.latency(), second.latency(), limit);
  if (reason.empty()) reason = Compare("hot median", first.hot_latency(), second.hot_latency(), limit);
  return reason;
}

SecondLookVerdict TakeSecondLook(std::vector<v1::Measurement>& kept,
                                 absl::FunctionRef<std::vector<v1::Measurement>(const TimingOptions&)> measure,
                                 absl::FunctionRef<int()> read_sm_clock, const TimingOptions& full,
                                 const NoiseCheckOptions& noise, const SecondLookOptions& options) {
  SecondLookVerdict verdict;
  const std::vector<v1::Measurement> looks = measure(SecondLookTiming(full));
  for (const v1::Measurement& first : kept) {
    const v1::Measurement* look = first.failed() ? nullptr : Find(looks, first.algorithm());
    if (look == nullptr) continue;
    verdict.first_over_second = std::max(verdict.first_over_second, FirstOverSecond(first, *look));
    if (verdict.disagreed) continue;
    if (std::string reason = SlowedThroughout(first, *look, options.max_first_over_second); !reason.empty()) {
      verdict.disagreed = true;
      verdict.reason = std::move(reason);
    }
  }
  if (!verdict.disagreed) return verdict;

  const CheckedConfig again = MeasureChecked([&] { return measure(full); }, read_sm_clock, noise);
  for (v1::Measurement& slot : kept) {
    if (slot.failed()) continue;
    const v1::Measurement* retimed = Find(again.measurements, slot.algorithm());
    // A noisy re-timing replaces only a noisy first timing: the fits trust steady ones more.
    if (retimed == nullptr || (retimed->noisy() && !slot.noisy())) continue;
    const int attempts = slot.remeasurements() + 1 + again.remeasurements;
    if (TotalMedianUs(*retimed) < TotalMedianUs(slot)) {
      slot = *retimed;
      verdict.replaced = true;
    }
    slot.set_remeasurements(attempts);
  }
  return verdict;
}

}  // namespace convlat::agent
