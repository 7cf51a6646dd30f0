#include "tests/server/test_data.h"

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "model/datasets/measurements_csv.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "tests/support/onnx_fixture.h"

namespace convlat::testing {

const std::vector<v1::Measurement>* T4Measurements() {
  static const auto* measurements = [] {
    const std::string path =
        model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv";
    absl::StatusOr<model::NeuSightDataset> dataset = model::LoadNeuSightCsv(path);
    return dataset.ok() ? new std::vector<v1::Measurement>(std::move(dataset->measurements)) : nullptr;
  }();
  return measurements;
}

std::vector<v1::Measurement> CpuMeasurements(const std::string& file) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/" + file;
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> rows = model::ParseMeasurementsCsv(in, path, "test");
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : std::vector<v1::Measurement>{};
}

std::vector<v1::Measurement> CpuOpMeasurements() {
  std::vector<v1::Measurement> ops = CpuMeasurements("default-sweep.csv");
  std::erase_if(ops, [](const v1::Measurement& m) { return !m.has_op(); });
  EXPECT_GT(ops.size(), 600u);
  return ops;
}

std::vector<v1::Measurement> CpuConvsAndOps() {
  std::vector<v1::Measurement> measurements = CpuMeasurements("staircase.csv");
  for (v1::Measurement& op : CpuOpMeasurements()) measurements.push_back(std::move(op));
  return measurements;
}

v1::MeasurementBatch Batch(const std::string& id, const std::string& platform,
                           const std::vector<v1::Measurement>& measurements, size_t first, size_t count) {
  v1::MeasurementBatch batch;
  batch.set_batch_id(id);
  batch.set_platform(platform);
  const size_t end = first + std::min(count, measurements.size() - first);
  for (size_t i = first; i < end; ++i) *batch.add_measurements() = measurements[i];
  return batch;
}

v1::Platform T4Platform(const std::string& name) {
  v1::Platform platform;
  platform.set_name(name);
  platform.set_kind(v1::PLATFORM_KIND_GPU);
  platform.set_device_name("Tesla T4");
  platform.set_compute_units(40);
  return platform;
}

v1::ConvParams Conv(const char* spec) { return *model::ParseConvSpec(spec); }

v1::OpParams Op(const char* spec) { return *model::ParseOpSpec(spec); }

std::string ResNet18Onnx() { return OnnxFixture("resnet18"); }

}  // namespace convlat::testing
