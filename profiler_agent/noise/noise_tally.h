#pragma once
// What a sweep's spread checks add up to: counts for the summary, the warning when many
// configurations in a row stay noisy (the machine is busy now), and the loud warnings at the end.
// Pure text, so it is tested on given configurations; the caller prints to stderr.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "profiler_agent/noise/checked_measurement.h"

namespace convlat::agent {

// This many noisy configurations in a row say the machine is busy now, not that a few
// configurations are hard to time.
inline constexpr int kBusyRunLength = 5;
// A sweep that had to re-measure at least this share of its configurations was disturbed, even
// if the re-measuring rescued them.
inline constexpr double kBusyRemeasuredShare = 0.10;

// What the warnings tell the user to do: measure again where nothing else runs.
inline constexpr char kQuietMachineAdvice[] =
    "stop other work on this machine (or use a quiet one) and measure the sweep again with --remeasure, so the new "
    "measurements supersede these";

struct NoiseCounts {
  int configs = 0;     // configurations checked (failed ones included)
  int remeasured = 0;  // measured more than once
  int noisy = 0;       // stored flagged noisy
  int throttled = 0;   // noisy because the GPU's SM clock fell
  int longest_noisy_run = 0;
  // The first few noisy configurations, "spec: reason", for the warning.
  std::vector<std::string> noisy_examples;
};

class NoiseTally {
 public:
  explicit NoiseTally(int busy_run_length = kBusyRunLength) : busy_run_length_(busy_run_length) {}

  // Counts one configuration (`label` is its spec). Returns a warning to print now when it makes
  // `busy_run_length` noisy configurations in a row (once per run of them).
  std::optional<std::string> Add(absl::string_view label, const CheckedConfig& config);

  const NoiseCounts& counts() const { return counts_; }

 private:
  int busy_run_length_;
  int current_run_ = 0;
  NoiseCounts counts_;
};

// "146 configurations checked: 12 re-measured, 3 stored flagged noisy (0 GPU throttling)".
std::string NoiseSummary(const NoiseCounts& counts);

// The end-of-sweep warnings, each a self-contained line; empty when every configuration was
// steady at the first attempt (or nearly all: fewer than kBusyRemeasuredShare re-measured).
std::vector<std::string> NoiseWarnings(const NoiseCounts& counts);

}  // namespace convlat::agent
