#pragma once
// What a sweep's spread checks add up to: counts for the summary, the warning when many
// configurations in a row stay noisy (the machine is busy now), and the loud warnings at the end.
// Pure text, so it is tested on given configurations; the caller prints to stderr.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "profiler_agent/noise/checked_measurement.h"
#include "profiler_agent/noise/second_look.h"

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
  // Found slowed throughout by the second look (timed again in full), and of those, how many
  // kept the faster re-timing; the first few, "spec: reason", for the warning.
  int slowed = 0;
  int slowed_replaced = 0;
  std::vector<std::string> slowed_examples;
  // Every configuration's first / second-look ratio (SecondLookVerdict::first_over_second): how
  // steady the machine was between the two, for the summary.
  std::vector<double> first_over_second;
};

class NoiseTally {
 public:
  explicit NoiseTally(int busy_run_length = kBusyRunLength) : busy_run_length_(busy_run_length) {}

  // Counts one configuration (`label` is its spec). Returns a warning to print now when it makes
  // `busy_run_length` noisy configurations in a row (once per run of them).
  std::optional<std::string> Add(absl::string_view label, const CheckedConfig& config);
  // Counts what the second look made of one configuration.
  void AddSecondLook(absl::string_view label, const SecondLookVerdict& verdict);

  const NoiseCounts& counts() const { return counts_; }

 private:
  int busy_run_length_;
  int current_run_ = 0;
  NoiseCounts counts_;
};

// "146 configurations checked: 12 re-measured, 3 stored flagged noisy (0 for GPU throttling), 1
// slowed throughout (second look; 1 re-timed faster)", and with second looks "; first timing /
// second look: median 1.00, 99th percentile 1.21, max 82.2".
std::string NoiseSummary(const NoiseCounts& counts);

// The end-of-sweep warnings, each a self-contained line; empty when every configuration was
// steady at the first attempt (or nearly all: fewer than kBusyRemeasuredShare re-measured).
std::vector<std::string> NoiseWarnings(const NoiseCounts& counts);

}  // namespace convlat::agent
