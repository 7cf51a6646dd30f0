#pragma once
// A library that runs convolutions (and the other ops of a network) for real on this machine and
// times them.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"
#include "profiler_agent/backend/repetition_rule.h"

namespace convlat::agent {

// Which of a library's algorithms a configuration is timed with (libraries that choose for
// themselves, such as oneDNN, ignore it).
enum class AlgoSelection {
  kHeuristic,   // the library's heuristic top choice, as frameworks run by default
  kExhaustive,  // benchmark the candidates and keep the fastest (cudnn.benchmark=True style)
  kAll,         // every supported algorithm, each as its own measurement
};

// "heuristic", "exhaustive" or "all"; INVALID_ARGUMENT naming --algo otherwise.
absl::StatusOr<AlgoSelection> ParseAlgoSelection(absl::string_view name);

struct BackendOptions {
  AlgoSelection algo = AlgoSelection::kHeuristic;
  // CPUs: the last-level cache one core sees, in bytes, when the user knows better than the
  // machine (--last_level_cache_bytes); 0: as the machine reports it.
  int64_t last_level_cache_bytes = 0;
  // CPUs: what the cache scrubber reads before each evicted run (--scrubber_bytes); 0: twice the
  // last-level cache. Checked either way, and grown when it does not evict (eviction_check.h).
  int64_t scrubber_bytes = 0;
};

class ConvBackend {
 public:
  virtual ~ConvBackend() = default;
  virtual std::string name() const = 0;
  // The device as the library sees it (the agent adds the user's platform name).
  virtual absl::StatusOr<v1::Platform> DescribePlatform() = 0;
  // Runs and times one valid configuration: one measurement, or one per algorithm when the
  // backend was asked for all of them. A configuration the library cannot run comes back with
  // failed=true and the reason: the sweep goes on, and the server learns what is unsupported.
  virtual std::vector<v1::Measurement> Measure(const v1::ConvParams& params, const TimingOptions& timing) = 0;
  // Runs and times one valid other op (pooling, activation, ...; see op_params.h): one
  // measurement, failed with the reason when the library cannot run it.
  virtual v1::Measurement MeasureOp(const v1::OpParams& op, const TimingOptions& timing) = 0;
  // The GPU's SM clock now, in MHz, read around each measurement to catch throttling; 0 when the
  // device has none or the driver does not say (the default: CPUs).
  virtual int SmClockMhz() { return 0; }
};

// "cpu" (oneDNN) or "cudnn"; "cudnn" is UNIMPLEMENTED when the agent was built without CUDA/cuDNN
// and FAILED_PRECONDITION when this machine has no usable GPU.
absl::StatusOr<std::unique_ptr<ConvBackend>> MakeBackend(absl::string_view name, const BackendOptions& options = {});

}  // namespace convlat::agent
