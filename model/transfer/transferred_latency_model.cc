#include "model/transfer/transferred_latency_model.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/layers/features.h"
#include "model/transfer/transfer_features.h"

namespace convlat::model {

TransferredLatencyModel::TransferredLatencyModel(std::shared_ptr<const TransferModel> model, TransferSpec target,
                                                 FewShotCorrection correction)
    : model_(std::move(model)), target_(std::move(target)), correction_(std::move(correction)) {
  std::vector<std::string> stacked_over;  // the sources whose own models the stack uses, when not all
  for (int i : correction_.stack_sources) stacked_over.push_back(model_->source_model_names()[i]);
  description_ = absl::StrCat(
      "transferred from ", absl::StrJoin(model_->source_names(), ", "),
      correction_.layers == 0 ? " (no measurements of this platform)"
      : correction_.stacked()
          ? absl::StrCat(", stacked on ", correction_.layers, " layers over ",
                         stacked_over.empty() ? "the sources' own models"
                                              : absl::StrCat("the own models of ", absl::StrJoin(stacked_over, ", ")))
          : absl::StrCat(", refined with ", correction_.layers, " layers"));
  std::string rule_clause;
  const RuleShareChoice rule = model_->RuleShare(target_);
  if (rule.share > 0) {
    rule_clause = absl::StrCat("; its zero-shot part ", absl::SixDigits(100 * rule.share),
                               " % Habitat's rule (the sources' own models, scaled to this GPU's peak and bandwidth), ",
                               "a share chosen on ", rule.judged_sources, " sources like this GPU, each held out");
  }
  // Smaller than any layer the sources timed: what such a layer takes is their launch and framework floor.
  const std::string at_floor = absl::StrCat("; at the floor, the fastest layer the sources timed (",
                                            absl::SixDigits(model_->FloorUs(target_)), " us)");
  for (int with_rule : {0, 1}) {
    for (int floor : {0, 1}) {
      layer_transfer_[with_rule][floor] =
          absl::StrCat(description_, with_rule ? rule_clause : "", floor ? at_floor : "");
    }
  }
  if (!rule_clause.empty()) absl::StrAppend(&description_, rule_clause, " (for the layers those sources measured)");
}

Prediction TransferredLatencyModel::Predict(const ConvShape& shape) const {
  Prediction prediction;
  const RefinedPrediction refined = PredictRefined(*model_, target_, correction_, shape);
  prediction.latency_us = refined.us;
  const ConvFeatures f = ComputeFeatures(shape);
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind("transfer");
  why.set_flops(f.flops);
  why.set_bytes(f.bytes());
  if (prediction.latency_us > 0) {
    // The share of the time the spec roofline accounts for; the rest is what the sources' layers
    // of this kind lose to it (launch, partial waves, kernel efficiency).
    const double compute_us = f.flops / (target_.peak_gflops * 1e3);
    const double memory_us = f.bytes() / (target_.bandwidth_gbps * 1e3);
    const double share = std::min(1.0, SpecRooflineUs(shape, target_) / prediction.latency_us);
    if (compute_us >= memory_us) {
      why.set_compute_share(share);
    } else {
      why.set_memory_share(share);
    }
  }
  why.set_transfer(layer_transfer_[refined.with_rule][refined.zero_shot_us <= model_->FloorUs(target_)]);
  for (const std::string& source : model_->source_names()) why.add_transferred_from(source);
  why.set_transfer_target_layers(correction_.layers);
  return prediction;
}

std::map<std::string, double> TransferredLatencyModel::parameters() const {
  std::map<std::string, double> parameters = {
      {"transfer.sources", static_cast<double>(model_->source_names().size())},
      {"transfer.training_samples", static_cast<double>(model_->training_samples())},
      {"transfer.target_layers", static_cast<double>(correction_.layers)},
      {"transfer.correction_offset", correction_.offset},
      {"transfer.spec.sms", static_cast<double>(target_.sms)},
      {"transfer.spec.peak_fp32_gflops", target_.peak_gflops},
      {"transfer.spec.memory_bandwidth_gbps", target_.bandwidth_gbps},
      {"transfer.spec.fp32_lanes_per_sm", static_cast<double>(target_.fp32_lanes_per_sm)},
      {"transfer.floor_us", model_->FloorUs(target_)},
  };
  if (correction_.stacked()) parameters["transfer.stack_outliers"] = correction_.stack_outliers;
  // Habitat's rule beside the trees (internal/scaled_sources.h): its share, and the held-out MAPE that chose it.
  const RuleShareChoice rule = model_->RuleShare(target_);
  parameters["transfer.rule_share"] = rule.share;
  if (rule.judged_sources > 0) {
    parameters["transfer.rule_judged_sources"] = rule.judged_sources;
    parameters["transfer.rule_held_out_mape_trees"] = rule.trees_mape;
    parameters["transfer.rule_held_out_mape_chosen"] = rule.chosen_mape;
  }
  // The stack's weights, per standard deviation of each column's log prediction: which source GPUs'
  // own models this platform's latencies follow.
  for (size_t j = 0; j < correction_.stack_weights.size(); ++j) {
    const bool transfer = j + 1 == correction_.stack_weights.size();  // the last column
    const size_t source = correction_.stack_sources.empty() ? j : correction_.stack_sources[j];
    parameters[absl::StrCat("transfer.stack_weight.",
                            transfer ? "spec_transfer" : model_->source_model_names()[source])] =
        correction_.stack_weights[j];
  }
  return parameters;
}

}  // namespace convlat::model
