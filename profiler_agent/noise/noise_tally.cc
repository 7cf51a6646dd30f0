#include "profiler_agent/noise/noise_tally.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace convlat::agent {
namespace {

constexpr size_t kExamples = 5;

// "; first timing / second look: median 1.00, 99th percentile 1.21, max 82.2"; empty without any.
std::string RatioSummary(std::vector<double> ratios) {
  if (ratios.empty()) return "";
  std::sort(ratios.begin(), ratios.end());
  auto at = [&](double q) { return ratios[static_cast<size_t>(q * static_cast<double>(ratios.size() - 1))]; };
  return absl::StrFormat("; first timing / second look: median %.2f, 99th percentile %.2f, max %.2f", at(0.5), at(0.99),
                         ratios.back());
}

}  // namespace

std::optional<std::string> NoiseTally::Add(absl::string_view label, const CheckedConfig& config) {
  ++counts_.configs;
  if (config.remeasurements > 0) ++counts_.remeasured;
  if (!config.noisy) {
    current_run_ = 0;
    return std::nullopt;
  }
  ++counts_.noisy;
  if (config.throttled) ++counts_.throttled;
  if (counts_.noisy_examples.size() < kExamples)
    counts_.noisy_examples.push_back(absl::StrCat(label, ": ", config.reason));
  counts_.longest_noisy_run = std::max(counts_.longest_noisy_run, ++current_run_);
  if (current_run_ != busy_run_length_) return std::nullopt;
  return absl::StrCat("WARNING: this machine looks busy: the last ", current_run_,
                      " configurations stayed noisy after every attempt (the last: ", label, ": ", config.reason,
                      "). Their timings are stored flagged noisy; ", kQuietMachineAdvice, ".");
}

void NoiseTally::AddSecondLook(absl::string_view label, const SecondLookVerdict& verdict) {
  if (verdict.first_over_second > 0) counts_.first_over_second.push_back(verdict.first_over_second);
  if (!verdict.disagreed) return;
  ++counts_.slowed;
  if (verdict.replaced) ++counts_.slowed_replaced;
  if (counts_.slowed_examples.size() < kExamples)
    counts_.slowed_examples.push_back(absl::StrCat(label, ": ", verdict.reason));
}

std::string NoiseSummary(const NoiseCounts& counts) {
  return absl::StrCat(counts.configs, " configurations checked: ", counts.remeasured, " re-measured, ", counts.noisy,
                      " stored flagged noisy (", counts.throttled, " for GPU throttling), ", counts.slowed,
                      " slowed throughout (second look; ", counts.slowed_replaced, " re-timed faster)",
                      RatioSummary(counts.first_over_second));
}

std::vector<std::string> NoiseWarnings(const NoiseCounts& counts) {
  std::vector<std::string> warnings;
  if (counts.configs == 0) return warnings;
  // A configuration slowed throughout was disturbed as surely as one re-measured for its spread.
  const double remeasured_share = static_cast<double>(counts.remeasured + counts.slowed) / counts.configs;
  if (counts.noisy > 0) {
    warnings.push_back(absl::StrCat(
        "WARNING: ", counts.noisy, " of ", counts.configs,
        " configurations stayed noisy after every attempt (--max_remeasurements) and are stored flagged noisy "
        "(the server's fits trust them less), e.g. ",
        absl::StrJoin(counts.noisy_examples, "; "), "."));
  }
  if (counts.slowed > 0) {
    warnings.push_back(absl::StrCat(
        "WARNING: ", counts.slowed, " of ", counts.configs,
        " configurations were slowed through their whole timing (steady, but much slower than a second look a few "
        "configurations later: a stall of the machine, not the configuration), e.g. ",
        absl::StrJoin(counts.slowed_examples, "; "), ". Each was timed again in full and the faster timing kept (",
        counts.slowed_replaced, " re-timed faster)."));
  }
  if (counts.throttled > 0) {
    warnings.push_back(absl::StrCat("WARNING: the GPU's SM clock fell during ", counts.throttled,
                                    " configurations (thermal or power throttling): check its cooling and power "
                                    "limit (nvidia-smi -q -d PERFORMANCE)."));
  }
  if (remeasured_share >= kBusyRemeasuredShare || counts.longest_noisy_run >= kBusyRunLength) {
    warnings.push_back(absl::StrCat(
        "WARNING: this machine looked busy while it measured: of ", counts.configs, " configurations ",
        counts.remeasured, " were re-measured, ", counts.slowed, " were slowed throughout and ", counts.noisy,
        " stayed noisy, up to ", counts.longest_noisy_run,
        " in a row. Timings taken beside other work are slower and spread out; ", kQuietMachineAdvice, "."));
  }
  return warnings;
}

}  // namespace convlat::agent
