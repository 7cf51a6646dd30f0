#pragma once
// Reader for the public NeuSight conv measurements (data/public/neusight-conv3x3/):
// one row per cuDNN conv2d forward with the main kernel's name and launch grid. Rows become
// Measurements (backend "cudnn", algorithm = main kernel name, one KernelRecord with its grid
// and block), so the store, the models and the evaluation treat them like an agent's records.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct NeuSightDataset {
  std::string device;  // the `Device` column, e.g. "Tesla T4"
  std::vector<v1::Measurement> measurements;
  // The device as far as the file tells: kind GPU, device name, cuDNN version ("8902" → 8.9.2).
  v1::Platform platform;
};

absl::StatusOr<NeuSightDataset> LoadNeuSightCsv(const std::string& path);

}  // namespace convlat::model
