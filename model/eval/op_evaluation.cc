#include "model/eval/op_evaluation.h"

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "model/layers/op_params.h"

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

  std::map<std::string, std::vector<OpSample>> test_by_kind;
  for (const OpSample& sample : test) test_by_kind[OpKindName(sample.op.kind())].push_back(sample);
  std::vector<OpKindEvaluation> rows;
  for (const auto& [kind, kind_test] : test_by_kind) {
    rows.push_back({kind, kind_test.size(), ErrorsOn(*per_kind, kind_test), ErrorsOn(*pooled, kind_test)});
  }
  rows.push_back({"all", test.size(), ErrorsOn(*per_kind, test), ErrorsOn(*pooled, test)});
  return rows;
}

}  // namespace convlat::model
