#pragma once
// convlat-eval's Markdown reports for one platform (what docs/accuracy.md is made of): the models
// side by side, cross-validation, learning curves, active sampling, the two-mode model's kernel
// choice and worst layers, the prediction intervals, and the other ops. Each prints to `out`.

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/eval_dataset.h"
#include "model/eval/evaluation.h"

namespace convlat::client {

inline constexpr char kEvaluationTableHeader[] =
    "| model | train layers | MAPE % | RMSPE % | within ±10% | fit s |\n|---|---|---|---|---|---|";

// One row of kEvaluationTableHeader's table (no newline).
std::string EvaluationRow(const model::EvaluationResult& r);

// Every model fitted on all training layers, against the held-out ones. Returns the baseline with
// the lowest MAPE (any model but two-mode that fitted; empty when none did).
std::string ReportModelComparison(const EvalDataset& data, const model::SampleSplit& split,
                                  const std::vector<model::ModelFitter>& fitters, std::ostream& out);

// Each model's errors averaged over `folds` folds of all the layers.
void ReportCrossValidation(const EvalDataset& data, const std::vector<model::ModelFitter>& fitters, int folds,
                           uint64_t seed, std::ostream& out);

// Each model on `repeats` random training subsets of each size; returns the rows (for the plots).
std::vector<model::EvaluationResult> ReportLearningCurve(const EvalDataset& data, const model::SampleSplit& split,
                                                         const std::vector<model::ModelFitter>& fitters,
                                                         const std::vector<size_t>& sizes, int repeats, uint64_t seed,
                                                         std::ostream& out);

// The two-mode model trained on layers it chose (active sampling) against random ones.
void ReportActiveSampling(const EvalDataset& data, const model::SampleSplit& split, const std::vector<size_t>& sizes,
                          int repeats, uint64_t seed, std::ostream& out);

// How often the two-mode model's classifier picks the group of the kernel that actually ran, and
// its `worst` held-out layers with what it believed: where the model falls short, and why.
void ReportKernelChoice(const EvalDataset& data, const model::SampleSplit& split, int worst, std::ostream& out);

// The 80 % intervals of `fitter`, calibrated on the training layers alone as the server does,
// against the held-out layers: what share they cover, and how wide they are; at each curve size
// and, with `all_layers`, on every training layer.
void ReportIntervals(const EvalDataset& data, const model::SampleSplit& split, const model::ModelFitter& fitter,
                     const std::vector<size_t>& curve, int repeats, uint64_t seed, bool all_layers, std::ostream& out);

// The op model's held-out error per op kind, against one roofline fit for all kinds.
absl::Status ReportOps(const EvalDataset& data, double test_fraction, uint64_t seed, std::ostream& out);

}  // namespace convlat::client
