#pragma once
// The per-platform model of ops other than convolutions: a roofline-style cost per op kind,
//   latency = fixed + bytes / bandwidth + flops / throughput,
// fitted (non-negative, on relative error) to the ops the platform's agent timed. Kinds the agent
// did not time, and layers the importer can describe only by their bytes and flops, get the same
// form fitted to every op measured on the platform.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "model/latency_model.h"

namespace convlat::model {

struct OpSample {
  v1::OpParams op;  // normalized
  double latency_us = 0;
};

// The successful op measurements (those with `op` set) of a platform.
std::vector<OpSample> OpSamplesFromMeasurements(const std::vector<v1::Measurement>& measurements);

class OpLatencyModel {
 public:
  // A kind needs this many samples for a fit of its own; fewer fall back to the pooled fit.
  static constexpr int kMinSamplesPerKind = 6;

  // FAILED_PRECONDITION when there are too few samples for even the pooled fit.
  static absl::StatusOr<OpLatencyModel> Fit(const std::vector<OpSample>& samples);

  // Of a valid op: its kind's fit, else the pooled one.
  Prediction Predict(const v1::OpParams& op) const;
  // Of a layer known only by the bytes it moves and its arithmetic: the pooled fit.
  Prediction PredictWork(double bytes, double flops) const;

  // "op.<kind>.fixed_us", ".bandwidth_gbps", ".throughput_gflops", ".samples", and "op.all.*" for
  // the pooled fit; bandwidth/throughput 0 where the fit left the term out.
  std::map<std::string, double> parameters() const;
  int sample_count() const { return sample_count_; }

 private:
  struct Costs {
    std::array<double, 3> coefficients{};  // µs, µs per byte, µs per flop
    int samples = 0;
  };
  static std::optional<Costs> FitCosts(const std::vector<const OpSample*>& samples);
  static Prediction Evaluate(const Costs& costs, double bytes, double flops, absl::string_view model_kind);

  Costs pooled_;
  absl::flat_hash_map<int, Costs> by_kind_;  // keyed by v1::OpKind
  int sample_count_ = 0;
};

}  // namespace convlat::model
