#pragma once
// The per-platform model of ops other than convolutions: a roofline-style cost,
//   latency = fixed + bytes / bandwidth + flops / throughput (+ a cost per input of a concat),
// fitted (non-negative, on relative error) to the ops the platform's agent timed. An op gets the
// fit of its kind and function in its layout (sigmoid costs more per element than relu; oneDNN's
// NCHW and blocked kernels differ) when that was timed often enough, else that of its kind in its
// layout, else of every op in its layout, else the same form fitted to every op of the platform;
// layers the importer can describe only by their bytes and flops get that last one.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "model/fit/error_metrics.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

struct OpSample {
  v1::OpParams op;  // normalized
  double latency_us = 0;
};

// The successful op measurements (those with `op` set) of a platform.
std::vector<OpSample> OpSamplesFromMeasurements(const std::vector<v1::Measurement>& measurements);

class OpLatencyModel;
// The model's errors on these samples (predicted against measured).
ErrorSummary ErrorsOn(const OpLatencyModel& model, const std::vector<OpSample>& samples);

class OpLatencyModel {
 public:
  // A group (kind and function, kind, or all ops, in a layout) needs this many samples for a fit of
  // its own.
  static constexpr int kMinSamplesPerFit = 6;

  // Groups with at least `min_samples_per_fit` samples get fits of their own (give a huge number
  // for the single pooled fit). FAILED_PRECONDITION when there are too few samples
  // for even the pooled fit.
  static absl::StatusOr<OpLatencyModel> Fit(const std::vector<OpSample>& samples,
                                            int min_samples_per_fit = kMinSamplesPerFit);

  // Of a valid op: the most specific fit there is for it.
  Prediction Predict(const v1::OpParams& op) const;
  // Of a layer known only by the bytes it moves and its arithmetic: the pooled fit.
  Prediction PredictWork(double bytes, double flops) const;

  // "op.<kind>[:<function>]@<layout>.fixed_us", ".bandwidth_gbps", ".throughput_gflops",
  // ".us_per_input", ".samples", "op.all@<layout>.*", and "op.all.*" for the pooled fit; 0 where
  // the fit left a term out.
  std::map<std::string, double> parameters() const;
  int sample_count() const { return sample_count_; }

 private:
  static constexpr int kTerms = 4;
  struct Costs {
    std::array<double, kTerms> coefficients{};  // µs, µs per byte, µs per flop, µs per concat input
    int samples = 0;
  };
  static std::optional<Costs> FitCosts(const std::vector<const OpSample*>& samples);
  static Prediction Evaluate(const Costs& costs, const std::array<double, kTerms>& terms, const std::string& fit_name);

  Costs pooled_;
  absl::flat_hash_map<std::string, Costs> fits_;  // by group: "kind:function@layout", "kind@layout", "all@layout"
  int sample_count_ = 0;
};

}  // namespace convlat::model
