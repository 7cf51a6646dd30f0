#include "model/transfer/internal/scaled_sources.h"

#include <algorithm>
#include <cmath>

namespace convlat::model {
namespace {

// Shares tried, in log space: a tenth apart is finer than the held-out sources can tell apart.
constexpr int kShareSteps = 10;
// A share judged on one held-out GPU would be that GPU's: at least two must have been predicted.
constexpr int kMinJudgedSources = 2;

}  // namespace

bool AlikeForTheRule(const TransferSpec& a, const TransferSpec& b) {
  return a.tensorflow_runtime == b.tensorflow_runtime && a.fp32_lanes_per_sm == b.fp32_lanes_per_sm;
}

double ScaledSourcesUs(const TransferModel& model, const ConvShape& shape, const TransferSpec& target,
                       absl::string_view left_out, std::span<const LatencyParts> sources) {
  double log_sum = 0;
  int count = 0;
  for (size_t i = 0; i < model.source_models().size(); ++i) {
    const TransferSpec& source = model.source_model_specs()[i];
    if (!AlikeForTheRule(source, target) || source.name == left_out) continue;
    // A source's own model speaks for layers like those it measured: the NeuSight GPUs' models know
    // 3x3 stride-1 layers only, and a 1x1 or strided layer would be their extrapolation.
    if (!model.source_model_domains()[i].Outside(shape).empty()) continue;
    // Made already for the stack, unless the stack does not use this source.
    const LatencyParts p = i < sources.size() && !std::isnan(sources[i].latency_us)
                               ? sources[i]
                               : model.source_models()[i]->PredictParts(shape);
    if (!(p.latency_us > 0) || !std::isfinite(p.latency_us)) continue;
    // The source model's own split of the time: its compute part runs at the ratio of the peaks (on
    // SMs alike, the ratio of SMs times clocks: Habitat's wave scaling without the last wave's
    // rounding), its memory part at the ratio of the bandwidths, and the rest (launch, framework)
    // takes as long on either GPU.
    const double compute = std::clamp(p.compute_share, 0.0, 1.0);
    const double memory = std::clamp(p.memory_share, 0.0, 1.0 - compute);
    const double ratio = compute * source.peak_gflops / target.peak_gflops +
                         memory * source.bandwidth_gbps / target.bandwidth_gbps + (1 - compute - memory);
    log_sum += std::log(p.latency_us * ratio);
    ++count;
  }
  return count == 0 ? 0 : std::exp(log_sum / count);
}

double BlendWithRule(double trees_us, double rule_us, double share) {
  if (!(rule_us > 0) || share <= 0) return trees_us;
  return std::exp((1 - share) * std::log(trees_us) + share * std::log(rule_us));
}

RuleShareChoice ChooseRuleShare(const TransferModel& model, const std::vector<HeldOutSourceResiduals>& held_out,
                                const TransferSpec& target) {
  // Per share, the sum of |predicted / measured - 1| over every judged layer.
  std::vector<double> error_sums(kShareSteps + 1, 0);
  RuleShareChoice choice;
  for (const HeldOutSourceResiduals& source : held_out) {
    if (!AlikeForTheRule(source.spec, target)) continue;
    int judged = 0;
    for (size_t i = 0; i < source.samples.size(); ++i) {
      const Sample& sample = source.samples[i];
      // The rule from the other sources like it: its own model was fitted on these very layers.
      const double rule_us = ScaledSourcesUs(model, sample.shape, source.spec, source.spec.name);
      if (!(rule_us > 0)) continue;
      for (int step = 0; step <= kShareSteps; ++step) {
        const double predicted = BlendWithRule(source.trees_us[i], rule_us, static_cast<double>(step) / kShareSteps);
        error_sums[step] += std::abs(predicted / sample.latency_us - 1);
      }
      ++judged;
    }
    choice.judged_layers += judged;
    choice.judged_sources += judged > 0;
  }
  if (choice.judged_sources < kMinJudgedSources) return RuleShareChoice{};
  int best = 0;
  for (int step = 1; step <= kShareSteps; ++step) {
    if (error_sums[step] < error_sums[best]) best = step;
  }
  choice.share = static_cast<double>(best) / kShareSteps;
  choice.trees_mape = 100 * error_sums[0] / choice.judged_layers;
  choice.chosen_mape = 100 * error_sums[best] / choice.judged_layers;
  return choice;
}

}  // namespace convlat::model
