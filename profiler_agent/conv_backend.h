#pragma once
// A library that runs convolutions for real on this machine and times them.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

// How long each configuration is timed: warm-up runs, then repetitions until both minimums are
// met or either maximum is reached.
struct TimingOptions {
  int warmup_runs = 2;
  int min_repetitions = 5;
  int max_repetitions = 1000;
  double min_seconds = 0.05;
  double max_seconds = 1.0;
};

class ConvBackend {
 public:
  virtual ~ConvBackend() = default;
  virtual std::string name() const = 0;
  // The device as the library sees it (the agent adds the user's platform name).
  virtual absl::StatusOr<v1::Platform> DescribePlatform() = 0;
  // Runs and times one valid configuration. A configuration the library cannot run comes back
  // with failed=true and the reason: the sweep goes on, and the server learns what is unsupported.
  virtual v1::Measurement Measure(const v1::ConvParams& params, const TimingOptions& timing) = 0;
};

// "cpu" (oneDNN). The cuDNN backend is its own issue: "cudnn" is UNIMPLEMENTED until it lands.
absl::StatusOr<std::unique_ptr<ConvBackend>> MakeBackend(absl::string_view name);

}  // namespace convlat::agent
