#pragma once
// Habitat's rule beside the trees, for the zero-shot transfer: a layer's time on the target as each
// source GPU's own model predicts it on that source, its compute part scaled by the ratio of the
// two GPUs' fp32 peaks, its memory part by the ratio of their bandwidths, the rest (launch, the
// framework) as it is (Habitat, Yu et al. 2021, scales measured kernels in the same way); the
// geometric mean over the sources alike to the target. The parts are the source model's own
// (Explanation.compute_share and memory_share). Scaling the whole time by the ratio of the two
// spec rooflines instead did worse on the NeuSight GPUs (zero-shot T4 21.4 against 16.5 %, V100
// 26.0 against 25.0 %, A100 19.6 against 18.9 %, docs/accuracy.md).
//
// Why both: the trees learn a layer's time as a share of its roofline pooled over every source, and
// miss a GPU whose level differs from what its spec says of it (the NeuSight V100 took 0.79x what
// the trees said); a source's own model has its GPU's kernels and level, which the rule carries
// over where the two GPUs run the same kinds of kernel: the same framework, and SMs of the same
// width (fp32 lanes per SM, the GPU feature that tells Kepler, Maxwell/Pascal and Volta onwards
// apart in the trees). Across widths it carries the wrong ones: the Justus M60 (Maxwell) by the
// rule from the Kepler, Pascal and Volta GPUs came out at 70 % MAPE against the trees' 21 %.
//
// How much of the rule to take is chosen on the sources the way it would have done on them: each
// source alike to the target left out in turn, predicted by the trees fitted without it and by the
// rule from the other sources alike to it, and the share (0, 0.1, ..., 1, in log space) with the
// lowest MAPE over those held-out layers wins. Fewer than two such sources: the trees alone (a
// Maxwell, Pascal or Hopper target among the public GPUs, or a Jetson Nano).

#include <span>
#include <vector>

#include "absl/strings/string_view.h"
#include "model/layers/conv_shape.h"
#include "model/transfer/transfer_model.h"
#include "model/transfer/transfer_spec.h"

namespace convlat::model {

// Whether the rule carries one GPU's latencies to the other: the same framework and SM width.
bool AlikeForTheRule(const TransferSpec& a, const TransferSpec& b);

// The rule's µs for `shape` on `target`: the geometric mean over the model's source models alike to
// the target, `left_out` (a source's name) excluded, of each one's prediction scaled to the target,
// where the layer is inside what that source measured. 0 when no such source model exists.
// `sources` (optional): the model's PredictSources of the layer, already made for the stack.
double ScaledSourcesUs(const TransferModel& model, const ConvShape& shape, const TransferSpec& target,
                       absl::string_view left_out = {}, std::span<const LatencyParts> sources = {});

// The share for targets alike to `target`, chosen on `held_out` (LeaveOneSourceOutResiduals of the
// same sources, with their samples).
RuleShareChoice ChooseRuleShare(const TransferModel& model, const std::vector<HeldOutSourceResiduals>& held_out,
                                const TransferSpec& target);

// log(latency) blended: (1 - share) ln(trees) + share ln(rule); the trees alone without a rule.
double BlendWithRule(double trees_us, double rule_us, double share);

}  // namespace convlat::model
