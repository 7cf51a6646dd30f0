#pragma once
// Held-out accuracy of the op model (pooling, activations, ...), per op kind, against the same
// roofline form fitted to all ops together: what a per-kind fit buys.

#include <cstdint>
#include <string>
#include <vector>

#include "model/fit/error_metrics.h"
#include "model/latency/op_model.h"

namespace convlat::model {

struct OpKindEvaluation {
  std::string kind;  // op kind name, or "all" for every held-out op
  size_t test_size = 0;
  ErrorSummary per_kind;  // the op model as served
  ErrorSummary pooled;    // one fit for all kinds
};

// A seeded random split of the samples (`test_fraction` held out); one row per kind with held-out
// ops, then "all". FAILED_PRECONDITION when the training part is too small to fit.
absl::StatusOr<std::vector<OpKindEvaluation>> EvaluateOpModel(std::vector<OpSample> samples, double test_fraction,
                                                              uint64_t seed);

}  // namespace convlat::model
