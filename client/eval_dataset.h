#pragma once
// convlat-eval's layers: read from the one source its flags name (a NeuSight or Justus CSV,
// convlat measurement CSVs, or a platform of a convlat store).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "model/latency/samples.h"

namespace convlat::client {

struct EvalDataset {
  std::string name;
  std::vector<model::Sample> samples;
  model::HardwareInfo hardware;
  std::vector<model::OpSample> ops;  // the other ops measured (pooling, activations, ...)
};

// From --neusight, --justus, --csv (with --compute_units, --platform as its name) or --db with
// --platform; exactly one of them, else an error naming the flags.
absl::StatusOr<EvalDataset> LoadEvalDataset();

}  // namespace convlat::client
