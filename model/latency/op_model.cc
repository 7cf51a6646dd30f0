#include "model/latency/op_model.h"

#include "absl/strings/str_cat.h"
#include "model/fit/robust_fit.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

// What the costs multiply: 1, bytes, flops, and the inputs of a concat (each one a separate copy
// with its own set-up; 0 for the other kinds, so no other fit uses the term).
std::array<double, 4> TermsOf(const v1::OpParams& op) {
  const OpWork work = WorkOf(op);
  return {1.0, work.bytes, work.flops, op.kind() == v1::OP_KIND_CONCAT ? static_cast<double>(op.inputs()) : 0.0};
}

}  // namespace

// Each group within its layout: oneDNN runs NCHW pooling with a reference kernel, blocked pooling
// with a JIT one; one fit for both misses both.
std::vector<std::string> OpGroupsOf(const v1::OpParams& op) {
  const std::string layout = LayoutName(op.layout());
  std::vector<std::string> groups;
  if (!op.function().empty()) groups.push_back(absl::StrCat(OpKindName(op.kind()), ":", op.function(), "@", layout));
  groups.push_back(absl::StrCat(OpKindName(op.kind()), "@", layout));
  groups.push_back(absl::StrCat("all@", layout));
  return groups;
}

std::vector<OpSample> OpSamplesFromMeasurements(const std::vector<v1::Measurement>& measurements) {
  std::vector<OpSample> samples;
  for (const v1::Measurement& m : measurements) {
    if (!m.has_op() || m.failed() || !(m.latency().median_us() > 0)) continue;
    OpSample& sample =
        samples.emplace_back(OpSample{.op = m.op(), .latency_us = m.latency().median_us(), .noisy = m.noisy()});
    NormalizeOpParams(sample.op);
  }
  return samples;
}

ErrorSummary ErrorsOn(const OpLatencyModel& model, const std::vector<OpSample>& samples) {
  std::vector<double> predicted, measured;
  predicted.reserve(samples.size());
  measured.reserve(samples.size());
  for (const OpSample& sample : samples) {
    predicted.push_back(model.Predict(sample.op).latency_us);
    measured.push_back(sample.latency_us);
  }
  return SummarizeErrors(predicted, measured);
}

std::optional<OpLatencyModel::Costs> OpLatencyModel::FitCosts(const std::vector<const OpSample*>& samples) {
  std::vector<double> rows, latencies, weights;
  for (const OpSample* sample : samples) {
    if (!(sample->weight > 0) || !(sample->latency_us > 0)) continue;
    const std::array<double, kTerms> terms = TermsOf(sample->op);
    rows.insert(rows.end(), terms.begin(), terms.end());
    latencies.push_back(sample->latency_us);
    weights.push_back(sample->weight);
  }
  if (latencies.size() < 3) return std::nullopt;
  const std::optional<RobustSolution> fit = SolveNonNegativeRobust(kTerms, rows, latencies, weights);
  if (!fit) return std::nullopt;
  Costs costs;
  for (int i = 0; i < kTerms; ++i) costs.coefficients[i] = fit->solution.coefficients[i];
  costs.samples = static_cast<int>(latencies.size());
  costs.outliers = fit->outliers;
  return costs;
}

absl::StatusOr<OpLatencyModel> OpLatencyModel::Fit(const std::vector<OpSample>& samples, int min_samples_per_fit) {
  std::vector<const OpSample*> all;
  absl::flat_hash_map<std::string, std::vector<const OpSample*>> groups;
  for (const OpSample& sample : samples) {
    if (!(sample.weight > 0)) continue;  // left out (noisy among enough clean ones)
    all.push_back(&sample);
    for (const std::string& group : OpGroupsOf(sample.op)) groups[group].push_back(&sample);
  }
  std::optional<Costs> pooled = FitCosts(all);
  if (!pooled) {
    return absl::FailedPreconditionError(
        absl::StrCat("the op model needs at least 3 successful op measurements, got ", samples.size()));
  }
  OpLatencyModel model;
  model.pooled_ = *pooled;
  model.sample_count_ = static_cast<int>(samples.size());
  for (const auto& [key, group] : groups) {
    if (static_cast<int>(group.size()) < min_samples_per_fit) continue;
    if (std::optional<Costs> costs = FitCosts(group)) model.fits_[key] = *costs;
  }
  return model;
}

Prediction OpLatencyModel::Evaluate(const Costs& costs, const std::array<double, kTerms>& terms,
                                    const std::string& fit_name) {
  double total = 0;
  for (int i = 0; i < kTerms; ++i) total += costs.coefficients[i] * terms[i];
  const double memory_us = costs.coefficients[1] * terms[1];
  const double compute_us = costs.coefficients[2] * terms[2];
  Prediction prediction;
  prediction.latency_us = total;
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind(absl::StrCat("op-roofline (", fit_name, ")"));
  why.set_bytes(terms[1]);
  why.set_flops(terms[2]);
  if (total > 0) {
    why.set_memory_share(memory_us / total);
    why.set_compute_share(compute_us / total);
  }
  return prediction;
}

Prediction OpLatencyModel::Predict(const v1::OpParams& op) const {
  v1::OpParams normalized = op;
  NormalizeOpParams(normalized);
  const std::array<double, kTerms> terms = TermsOf(normalized);
  for (const std::string& group : OpGroupsOf(normalized)) {
    if (const auto it = fits_.find(group); it != fits_.end()) return Evaluate(it->second, terms, group);
  }
  return Evaluate(pooled_, terms, "all ops");
}

Prediction OpLatencyModel::PredictWork(double bytes, double flops) const {
  return Evaluate(pooled_, {1.0, bytes, flops, 0.0}, "all ops");
}

std::map<std::string, double> OpLatencyModel::parameters() const {
  std::map<std::string, double> out;
  auto add = [&out](const std::string& prefix, const Costs& costs) {
    const std::array<double, kTerms>& b = costs.coefficients;
    out[prefix + ".fixed_us"] = b[0];
    out[prefix + ".bandwidth_gbps"] = b[1] > 0 ? 1e-3 / b[1] : 0;
    out[prefix + ".throughput_gflops"] = b[2] > 0 ? 1e-3 / b[2] : 0;
    if (b[3] > 0) out[prefix + ".us_per_input"] = b[3];
    out[prefix + ".samples"] = costs.samples;
    out[prefix + ".outliers"] = costs.outliers;
  };
  add("op.all", pooled_);
  for (const auto& [key, costs] : fits_) add("op." + key, costs);
  return out;
}

std::vector<OpLatencyModel::GroupCosts> OpLatencyModel::groups() const {
  auto of = [](const std::string& name, const Costs& costs) {
    return GroupCosts{.group = name,
                      .fixed_us = costs.coefficients[0],
                      .us_per_byte = costs.coefficients[1],
                      .us_per_flop = costs.coefficients[2],
                      .samples = costs.samples};
  };
  std::vector<GroupCosts> out = {of(kPooled, pooled_)};
  std::map<std::string, const Costs*> sorted;  // fits_ is unordered; reports and checks need an order
  for (const auto& [key, costs] : fits_) sorted[key] = &costs;
  for (const auto& [key, costs] : sorted) out.push_back(of(key, *costs));
  return out;
}

std::optional<double> OpLatencyModel::PredictWithGroup(const v1::OpParams& op, const std::string& group) const {
  const Costs* costs = &pooled_;
  if (group != kPooled) {
    const auto it = fits_.find(group);
    if (it == fits_.end()) return std::nullopt;
    costs = &it->second;
  }
  v1::OpParams normalized = op;
  NormalizeOpParams(normalized);
  return Evaluate(*costs, TermsOf(normalized), group).latency_us;
}

std::optional<std::string> OpLatencyModel::BroaderFitOf(const std::string& group) const {
  const size_t at = group.find('@');
  if (at == std::string::npos) return std::nullopt;  // the pooled fit
  const std::string head = group.substr(0, at), layout = group.substr(at);
  std::vector<std::string> chain;
  if (const size_t colon = head.find(':'); colon != std::string::npos) chain.push_back(head.substr(0, colon) + layout);
  if (head != "all") chain.push_back("all" + layout);
  for (const std::string& broader : chain) {
    if (fits_.contains(broader)) return broader;
  }
  return std::string(kPooled);
}

}  // namespace convlat::model
