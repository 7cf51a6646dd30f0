#pragma once
// convlat-eval --transfer: leave-one-GPU-out over every GPU of the public data (3 NeuSight + 5
// Justus), the transfer model's MAPE with 0/25/50/100 of the target's own layers and the coverage
// of its zero-shot 80 % interval, printed as Markdown (the matrix itself is model/transfer's
// TransferMatrix, for plots).

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/transfer/transfer_evaluation.h"

namespace convlat {

// Every GPU file under `datasets_dir` laid out like data/public (model::FindGpuDatasetFiles: the
// shipped ones and any a user adds) as a transfer source, described from the GPU spec table. A file
// whose device the table lacks is left out with a warning on `warnings`; FAILED_PRECONDITION with
// fewer than two left.
absl::StatusOr<std::vector<model::TransferSource>> LoadPublicTransferSources(const std::string& datasets_dir,
                                                                             std::ostream& warnings);

// The matrix as a Markdown table: one row per target, with its layer count and source set.
std::string TransferMatrixMarkdown(const model::TransferMatrix& matrix);

// The matrix's MAPE columns as a heatmap (targets by target layers), for docs/accuracy.md.
std::string TransferHeatmapSvg(const model::TransferMatrix& matrix);

// Loads, evaluates and prints (with the fit time) to `out`; with a `plot_dir`, also writes
// transfer-matrix.svg there.
absl::Status RunTransferEvaluation(const std::string& datasets_dir, uint64_t seed, const std::string& plot_dir,
                                   std::ostream& out);

}  // namespace convlat
