#pragma once
// The per-platform model of ops other than convolutions: a roofline-style cost,
//   latency = fixed + bytes / bandwidth + flops / throughput (+ a cost per input of a concat),
// fitted (non-negative, on relative error, robust to spikes: fit/robust_fit.h) to the ops the
// platform's agent timed. An op gets the
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
  bool noisy = false;  // as in Sample (samples.h)
  double weight = 1;   // as in Sample: 0 leaves it out
};

// The groups an op belongs to, most specific first: "kind:function@layout" (when it has a
// function), "kind@layout", "all@layout". Predict uses the first of them that has a fit.
std::vector<std::string> OpGroupsOf(const v1::OpParams& op);

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
  // ".us_per_input", ".samples", ".outliers" (samples the robust loss left out), "op.all@<layout>.*",
  // and "op.all.*" for the pooled fit; 0 where the fit left a term out.
  std::map<std::string, double> parameters() const;
  int sample_count() const { return sample_count_; }

  // The fit of one group ("all" for the pooled fit) as costs, for the checks before serving.
  static constexpr char kPooled[] = "all";
  struct GroupCosts {
    std::string group;
    double fixed_us = 0;
    double us_per_byte = 0;
    double us_per_flop = 0;
    int samples = 0;
  };
  std::vector<GroupCosts> groups() const;  // the pooled fit first, then by name
  // What `group`'s fit predicts for `op` (whether or not Predict would pick that fit); nullopt for
  // a group without a fit.
  std::optional<double> PredictWithGroup(const v1::OpParams& op, const std::string& group) const;
  // Stops serving a group's fit: its ops go to their next group. The pooled fit cannot be dropped
  // (it is the last one); a whole op model that is implausible is not served at all.
  void DropGroup(const std::string& group) { fits_.erase(group); }
  // The fit the ops of `group` would get without it: the first of "kind@layout", "all@layout" (after
  // a "kind:function@layout"), the pooled "all" that has a fit. nullopt for the pooled fit itself.
  std::optional<std::string> BroaderFitOf(const std::string& group) const;

 private:
  static constexpr int kTerms = 4;
  struct Costs {
    std::array<double, kTerms> coefficients{};  // µs, µs per byte, µs per flop, µs per concat input
    int samples = 0;
    int outliers = 0;  // samples the robust loss gave no weight
  };
  static std::optional<Costs> FitCosts(const std::vector<const OpSample*>& samples);
  static Prediction Evaluate(const Costs& costs, const std::array<double, kTerms>& terms, const std::string& fit_name);

  Costs pooled_;
  absl::flat_hash_map<std::string, Costs> fits_;  // by group: "kind:function@layout", "kind@layout", "all@layout"
  int sample_count_ = 0;
};

}  // namespace convlat::model
