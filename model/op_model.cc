#include "model/op_model.h"

#include "absl/strings/str_cat.h"
#include "model/nnls.h"
#include "model/op_params.h"

namespace convlat::model {

std::vector<OpSample> OpSamplesFromMeasurements(const std::vector<v1::Measurement>& measurements) {
  std::vector<OpSample> samples;
  for (const v1::Measurement& m : measurements) {
    if (!m.has_op() || m.failed() || !(m.latency().median_us() > 0)) continue;
    OpSample& sample = samples.emplace_back(OpSample{.op = m.op(), .latency_us = m.latency().median_us()});
    NormalizeOpParams(sample.op);
  }
  return samples;
}

std::optional<OpLatencyModel::Costs> OpLatencyModel::FitCosts(const std::vector<const OpSample*>& samples) {
  RelativeNormalEquations equations(3);
  for (const OpSample* sample : samples) {
    const OpWork work = WorkOf(sample->op);
    equations.Add(std::array<double, 3>{1.0, work.bytes, work.flops}, sample->latency_us);
  }
  if (equations.rows() < equations.terms()) return std::nullopt;
  const std::optional<RelativeNormalEquations::Solution> fit = equations.SolveNonNegative();
  if (!fit) return std::nullopt;
  Costs costs;
  for (int i = 0; i < 3; ++i) costs.coefficients[i] = fit->coefficients[i];
  costs.samples = equations.rows();
  return costs;
}

absl::StatusOr<OpLatencyModel> OpLatencyModel::Fit(const std::vector<OpSample>& samples) {
  std::vector<const OpSample*> all;
  absl::flat_hash_map<int, std::vector<const OpSample*>> by_kind;
  for (const OpSample& sample : samples) {
    all.push_back(&sample);
    by_kind[sample.op.kind()].push_back(&sample);
  }
  OpLatencyModel model;
  std::optional<Costs> pooled = FitCosts(all);
  if (!pooled) {
    return absl::FailedPreconditionError(
        absl::StrCat("the op model needs at least 3 successful op measurements, got ", samples.size()));
  }
  model.pooled_ = *pooled;
  model.sample_count_ = static_cast<int>(samples.size());
  for (const auto& [kind, kind_samples] : by_kind) {
    if (static_cast<int>(kind_samples.size()) < kMinSamplesPerKind) continue;
    if (std::optional<Costs> costs = FitCosts(kind_samples)) model.by_kind_[kind] = *costs;
  }
  return model;
}

Prediction OpLatencyModel::Evaluate(const Costs& costs, double bytes, double flops, absl::string_view model_kind) {
  const double memory_us = costs.coefficients[1] * bytes;
  const double compute_us = costs.coefficients[2] * flops;
  Prediction prediction;
  prediction.latency_us = costs.coefficients[0] + memory_us + compute_us;
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind(std::string(model_kind));
  why.set_bytes(bytes);
  why.set_flops(flops);
  if (prediction.latency_us > 0) {
    why.set_memory_share(memory_us / prediction.latency_us);
    why.set_compute_share(compute_us / prediction.latency_us);
  }
  return prediction;
}

Prediction OpLatencyModel::Predict(const v1::OpParams& op) const {
  v1::OpParams normalized = op;
  NormalizeOpParams(normalized);
  const OpWork work = WorkOf(normalized);
  const auto it = by_kind_.find(normalized.kind());
  if (it == by_kind_.end()) return Evaluate(pooled_, work.bytes, work.flops, "op-roofline (all ops)");
  return Evaluate(it->second, work.bytes, work.flops, absl::StrCat("op-roofline (", OpKindName(normalized.kind()), ")"));
}

Prediction OpLatencyModel::PredictWork(double bytes, double flops) const {
  return Evaluate(pooled_, bytes, flops, "op-roofline (all ops)");
}

std::map<std::string, double> OpLatencyModel::parameters() const {
  std::map<std::string, double> out;
  auto add = [&out](const std::string& prefix, const Costs& costs) {
    out[prefix + ".fixed_us"] = costs.coefficients[0];
    out[prefix + ".bandwidth_gbps"] = costs.coefficients[1] > 0 ? 1e-3 / costs.coefficients[1] : 0;
    out[prefix + ".throughput_gflops"] = costs.coefficients[2] > 0 ? 1e-3 / costs.coefficients[2] : 0;
    out[prefix + ".samples"] = costs.samples;
  };
  add("op.all", pooled_);
  for (const auto& [kind, costs] : by_kind_) add("op." + OpKindName(static_cast<v1::OpKind>(kind)), costs);
  return out;
}

}  // namespace convlat::model
