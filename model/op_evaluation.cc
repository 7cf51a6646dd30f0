#include "model/op_evaluation.h"

#include <algorithm>
#include <limits>
#include <map>
#include <random>

#include "model/op_params.h"

namespace convlat::model {

absl::StatusOr<std::vector<OpKindEvaluation>> EvaluateOpModel(std::vector<OpSample> samples, double test_fraction,
                                                              uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(samples.begin(), samples.end(), rng);
  const size_t test_size = std::clamp<size_t>(static_cast<size_t>(samples.size() * test_fraction), 1, samples.size());
  const std::vector<OpSample> test(samples.begin(), samples.begin() + test_size);
  const std::vector<OpSample> train(samples.begin() + test_size, samples.end());
  absl::StatusOr<OpLatencyModel> per_kind = OpLatencyModel::Fit(train);
  if (!per_kind.ok()) return per_kind.status();
  absl::StatusOr<OpLatencyModel> pooled = OpLatencyModel::Fit(train, std::numeric_limits<int>::max());
  if (!pooled.ok()) return pooled.status();

  struct Errors {
    std::vector<double> measured, per_kind, pooled;
  };
  std::map<std::string, Errors> by_kind;
  for (const OpSample& sample : test) {
    for (const std::string& key : {OpKindName(sample.op.kind()), std::string("all")}) {
      Errors& errors = by_kind[key];
      errors.measured.push_back(sample.latency_us);
      errors.per_kind.push_back(per_kind->Predict(sample.op).latency_us);
      errors.pooled.push_back(pooled->Predict(sample.op).latency_us);
    }
  }
  std::vector<OpKindEvaluation> rows;
  for (const auto& [kind, errors] : by_kind) {
    if (kind == "all") continue;
    rows.push_back({kind, errors.measured.size(), SummarizeErrors(errors.per_kind, errors.measured),
                    SummarizeErrors(errors.pooled, errors.measured)});
  }
  const Errors& all = by_kind["all"];
  rows.push_back({"all", all.measured.size(), SummarizeErrors(all.per_kind, all.measured),
                  SummarizeErrors(all.pooled, all.measured)});
  return rows;
}

}  // namespace convlat::model
