#pragma once
// The transfer model: latency of a convolution on a GPU nobody profiled, learnt from GPUs that
// were. It regresses log(latency / spec roofline) on spec-normalised features (transfer_features.h)
// pooled over the source GPUs, so a target is described by its spec alone (zero-shot); its first
// measured layers then correct it in log space, shrunk towards no correction while they are few
// (few-shot), until the server has enough of them for the platform's own fit.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "model/fit/boosted_trees.h"
#include "model/interval/training_domain.h"
#include "model/latency/latency_model.h"
#include "model/latency/samples.h"
#include "model/layers/conv_shape.h"
#include "model/transfer/transfer_features.h"
#include "model/transfer/transfer_spec.h"

namespace convlat::model {

struct TransferSource {
  TransferSpec spec;
  std::vector<Sample> samples;
};

// A source GPU's own convolution model, for the stacked few-shot correction: fitted on its layers,
// or one already fitted on them (the server's published model of that platform).
using SourceModelFn = std::function<absl::StatusOr<std::shared_ptr<const LatencyModel>>(const TransferSource&)>;
// Each source's own model fitted by `fit` on all of its layers, its SM count the hardware.
SourceModelFn FitEachSource(
    std::function<absl::StatusOr<std::unique_ptr<LatencyModel>>(const std::vector<Sample>&, const HardwareInfo&)> fit);

struct TransferOptions {
  // Each source contributes at most this many layers (a seeded random subset), so that one GPU
  // with many measurements does not become the model, and the fit stays a few seconds.
  int max_samples_per_source = 2500;
  uint64_t seed = 13;
  // Leaves of at least 40 rows: the target mixes several GPUs, and a leaf of a handful of one GPU's
  // layers would learn that GPU rather than a rule that transfers.
  BoostedTreesOptions trees{
      .rounds = 40, .max_depth = 5, .learning_rate = 0.2, .min_samples_leaf = 40, .bins = 64, .l2 = 0};
  // When set, each source GPU's own conv model, for the stacked few-shot correction
  // (FewShotCorrection): the server's FitLatencyModel on all of the source's layers, or the model
  // it already serves for that platform.
  SourceModelFn source_model;
  // Each source left out in turn, the trees fitted on the others (at most this many layers of each)
  // and judged on this many of its layers: the residuals the zero-shot intervals are calibrated on,
  // and, with the sources' own models, the share of Habitat's rule (internal/scaled_sources.h). 0: neither.
  int held_out_samples_per_source = 800;
};

// log(measured / predicted) on one source's layers (at most options.held_out_samples_per_source)
// by a model fitted without that source: how far the transfer is off on a GPU it never saw.
struct HeldOutSourceResiduals {
  TransferSpec spec;  // the source held out
  std::vector<double> log_residuals;
  // The layers behind the residuals, in their order, and what the trees fitted without the source
  // predicted for each (µs): the rule's share is chosen on them.
  std::vector<Sample> samples;
  std::vector<double> trees_us;
};

// How the share of Habitat's rule in the zero-shot transfer was chosen for one kind of target GPU
// (internal/scaled_sources.h).
// Each source model's latency and shares for one layer (LatencyModel::PredictParts), in the order of
// TransferModel::source_models(): made once per layer, for the rule and the stack alike.
using SourcePredictions = absl::InlinedVector<LatencyParts, 8>;

struct RuleShareChoice {
  double share = 0;        // of the rule, in log space: 0 the trees alone
  int judged_sources = 0;  // held-out sources of that kind the rule could predict
  int judged_layers = 0;
  double trees_mape = 0;   // on those layers, %: the trees alone
  double chosen_mape = 0;  // with the chosen share
};

class TransferModel {
 public:
  // INVALID_ARGUMENT when no source has a positive measurement.
  static absl::StatusOr<TransferModel> Fit(const std::vector<TransferSource>& sources,
                                           const TransferOptions& options = {});

  // Zero-shot: µs on `target`, from its spec only, never below FloorUs(target): the trees, blended
  // with Habitat's rule where the held-out sources gave it a share (RuleShare).
  // `with_rule` (optional) receives whether the rule took part: it did not where it has no share, or
  // no source like the target measured layers like this one. `sources` (optional): PredictSources of
  // the layer, already made; otherwise the rule runs the models it needs itself.
  double PredictUs(const ConvShape& shape, const TransferSpec& target, bool* with_rule = nullptr,
                   std::span<const LatencyParts> sources = {}) const;
  // Each source model's prediction of `shape`, one entry per source model: of those in `only`
  // (indices; empty: all), the others' latency NaN (not made).
  SourcePredictions PredictSources(const ConvShape& shape, std::span<const int> only = {}) const;
  // The trees alone, never below FloorUs(target).
  double TreesUs(const ConvShape& shape, const TransferSpec& target) const;
  // The share of the rule for targets like `target` (internal/scaled_sources.h), and how it was chosen; a
  // share of 0 where none of the sources is alike to it.
  RuleShareChoice RuleShare(const TransferSpec& target) const;
  // Each source held out in turn (TransferOptions::held_out_samples_per_source), the trees fitted
  // without it: the rule's share was chosen on them, and the zero-shot intervals are calibrated on
  // the trees' residuals (ResidualsLike), also where the rule has a share: the blend's own
  // residuals, from the two GPUs like the NeuSight V100 its share was chosen on, covered 66-72 % of
  // the V100's layers, the trees' 94-95 % (docs/accuracy.md).
  const std::vector<HeldOutSourceResiduals>& held_out() const { return held_out_; }
  // The least any convolution takes on `target`: the fastest layer any source timed through the
  // same framework (all sources when none did). A layer's time is its launch and the framework's
  // overhead before it is any share of a roofline, and the trees, which learnt the share, cannot
  // extrapolate it to layers smaller than the sources': a 1x1x1x1 convolution came out at 2e-9 ms,
  // and a platform's ops, which get its smallest convolution as their fixed cost, at nothing.
  double FloorUs(const TransferSpec& target) const;
  // The sources' names, in the order given.
  const std::vector<std::string>& source_names() const { return source_names_; }
  int64_t training_samples() const { return training_samples_; }
  // The sources' own models (TransferOptions::source_model), with their names; empty without.
  const std::vector<std::shared_ptr<const LatencyModel>>& source_models() const { return source_models_; }
  const std::vector<std::string>& source_model_names() const { return source_model_names_; }
  // Of each source model: its GPU's spec, and the layers it was fitted on (it speaks for those only).
  const std::vector<TransferSpec>& source_model_specs() const { return source_model_specs_; }
  const std::vector<TrainingDomain>& source_model_domains() const { return source_model_domains_; }

 private:
  // The share chosen for the kind of GPU `target` is; null where none of the sources is of it.
  const RuleShareChoice* RuleShareFor(const TransferSpec& target) const;

  BoostedTrees trees_;
  // The fastest layer the sources timed through TensorFlow [1] and otherwise [0]; 0: none.
  std::array<double, 2> floor_us_{0, 0};
  std::vector<std::string> source_names_;
  int64_t training_samples_ = 0;
  std::vector<std::shared_ptr<const LatencyModel>> source_models_;
  std::vector<std::string> source_model_names_;
  std::vector<TransferSpec> source_model_specs_;
  std::vector<TrainingDomain> source_model_domains_;
  // Per kind of source GPU (a spec alike to each source's, internal/scaled_sources.h): the rule's share for
  // targets of that kind.
  std::vector<std::pair<TransferSpec, RuleShareChoice>> rule_shares_;
  std::vector<HeldOutSourceResiduals> held_out_;
};

// The few-shot correction: log(measured / zero-shot) of the target's own layers as a ridge
// regression on the same spec-normalised features (standardised on those layers), each coefficient
// and the offset shrunk to 0 as if `prior_layers` layers had shown no error. With few layers it
// hardly moves the transfer; with many it follows them (where the server's own fit takes over, see
// server/transfer_sources.h).
//
// Stacked, from kStackMinLayers layers of the target's own when the transfer has its sources' own
// models: log(latency on the target) as a ridge regression (kStackRidge, on standardised columns)
// on the log of each source GPU's own model's prediction of the same layer and the log of the
// zero-shot transfer. Each source's own model knows its GPU's kernel choices and staircases; how
// a target's latencies follow them is what a few dozen of its layers show (Habitat scales one GPU's
// measurements to another by a rule; here the rule is learnt). On the eight public GPUs, left out in
// turn: 15.5 % at 50 layers blended with the own fit, against 18.2 % with the feature ridge, and
// 19.4 / 16.6 % alone at 10 / 20 layers, against 21.9 / 20.8 % (docs/accuracy.md, "Transfer").
// The stack's loss is Huber's (kStackHuberDelta): with a few dozen layers, two or three timed far
// off (a spike, a clock that dropped) would otherwise set the weights; 15.5 → 15.2 % at 50 layers.
struct FewShotCorrection {
  int layers = 0;
  double offset = 0;                        // log units, at the layers' mean features
  std::vector<double> mean, scale, slopes;  // per feature; empty: no slope
  double LogFactor(const std::array<double, kTransferFeatureCount>& features) const;

  // The stack: per column (each source model of stack_sources, then the zero-shot transfer) its
  // mean, scale and weight, and the mean log latency; empty weights: not stacked.
  std::vector<double> stack_mean, stack_scale, stack_weights;
  std::vector<int> stack_sources;  // indices into TransferModel::source_models(); empty: every one
  double stack_intercept = 0;
  int stack_outliers = 0;  // layers the stack's robust loss down-weighted
  bool stacked() const { return !stack_weights.empty(); }
};
inline constexpr double kFewShotPriorLayers = 10;
inline constexpr int kStackMinLayers = 10;
// Whether the few-shot correction on `layers` layers (with a positive latency) is a stack.
inline bool StacksOn(const TransferModel& model, int layers) {
  return !model.source_models().empty() && layers >= kStackMinLayers;
}
inline constexpr double kStackRidge = 1;
// Past 0.2 in log units (about ±20 %) a layer's residual counts linearly, not squared: the
// residual correction's bound (two_mode/residual_correction.cc), and the error a layer of the
// public GPUs' own fits typically stays within.
inline constexpr double kStackHuberDelta = 0.2;

// `stack_sources`: the source models the stack may use (indices into model.source_models(); empty:
// every one), e.g. SourcesMeasuringKindsBeyond for layers of kinds the target never measured.
FewShotCorrection FitFewShotCorrection(const TransferModel& model, const TransferSpec& target,
                                       const std::vector<Sample>& target_samples,
                                       double prior_layers = kFewShotPriorLayers, std::vector<int> stack_sources = {});

// The source models (indices into model.source_models()) whose GPUs, timed through the same
// framework as `target`, measured kinds of layer (filter sizes, strides, groupings, ...) that
// `domain` holds none of. A platform's own fit on 3x3 stride-1 layers, asked for a 1x1 or strided
// one, extrapolates (26.9-38.2 % MAPE on the Justus GPUs' other kinds, docs/accuracy.md); the
// transfer stacked on its layers over these sources, which know such layers, does not
// (13.2-16.8 %). Over every source, those that measured no more than the platform (and extrapolate
// as much) pulled the stack: 14.0-18.2 %. Across frameworks nothing shows that it carries: the
// TensorFlow GPUs' launch floor put a ResNet-18 1x1 layer on the PyTorch-timed T4 at 0.32 ms.
std::vector<int> SourcesMeasuringKindsBeyond(const TransferModel& model, const TrainingDomain& domain,
                                             const TransferSpec& target);

// A layer on `target` with its few-shot correction: the µs served, and the zero-shot prediction it
// refined (whether Habitat's rule took part in it). A stacked correction runs each source model
// once, for the rule and the stack's columns.
struct RefinedPrediction {
  double us = 0;
  double zero_shot_us = 0;
  bool with_rule = false;
};
RefinedPrediction PredictRefined(const TransferModel& model, const TransferSpec& target,
                                 const FewShotCorrection& correction, const ConvShape& shape);
// Its µs alone.
inline double PredictRefinedUs(const TransferModel& model, const TransferSpec& target,
                               const FewShotCorrection& correction, const ConvShape& shape) {
  return PredictRefined(model, target, correction, shape).us;
}

// Every source held out in turn, the trees fitted on the others (options.source_model unused). Empty
// with fewer than two sources.
std::vector<HeldOutSourceResiduals> LeaveOneSourceOutResiduals(const std::vector<TransferSource>& sources,
                                                               const TransferOptions& options = {});
// The residuals a zero-shot interval for `target` is calibrated on: those of the held-out sources
// timed through the same framework, when there are any, else all of them. A framework brings its
// own overheads and kernel choices, and with them its own transfer error: pooled, the PyTorch GPUs'
// 80 % intervals covered 71-83 % of their layers and the TensorFlow GPUs' 88-96 %.
std::vector<double> ResidualsLike(const std::vector<HeldOutSourceResiduals>& held_out, const TransferSpec& target);

// The same `count` (or all) samples for the same seed: a seeded random subset, in random order.
std::vector<Sample> SeededSubset(const std::vector<Sample>& samples, int count, uint64_t seed);

}  // namespace convlat::model
