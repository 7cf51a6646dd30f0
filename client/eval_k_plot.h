#pragma once
// convlat-eval --plot: latency against output channels for one layer (--plot_layer, its k swept
// from 1 to --plot_k_max): the platform's measurements of that layer, the two-mode model and the
// best baseline, both fitted on the training layers.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/eval_dataset.h"
#include "model/eval/evaluation.h"

namespace convlat::client {

// Writes the SVG to `path` and says so on `out`; a `layer_spec` that does not parse is an error
// naming --plot_layer.
absl::Status WriteKSweepPlot(const std::string& path, const std::string& layer_spec, int k_max, const EvalDataset& data,
                             const model::SampleSplit& split, const std::vector<model::ModelFitter>& fitters,
                             const std::string& best_baseline, std::ostream& out);

}  // namespace convlat::client
