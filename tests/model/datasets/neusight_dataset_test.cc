// Reads the public NeuSight measurements of data/public/ (or $CONVLAT_DATASETS).
#include "model/datasets/neusight_dataset.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/public_datasets.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

std::string T4Path() {
  return DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv";
}

TEST(NeuSightDatasetTest, LoadsEveryRowOfTheT4File) {
  ASSERT_TRUE(std::filesystem::exists(T4Path())) << "public dataset not found at " << T4Path();
  absl::StatusOr<NeuSightDataset> dataset = LoadNeuSightCsv(T4Path());
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->device, "Tesla T4");
  EXPECT_EQ(dataset->platform.device_name(), "Tesla T4");
  EXPECT_EQ(dataset->platform.kind(), v1::PLATFORM_KIND_GPU);
  EXPECT_EQ(dataset->platform.library_version(), "8.9.2");
  EXPECT_EQ(dataset->measurements.size(), 4969u);  // the README's row count
  const v1::Measurement& first = dataset->measurements.front();
  // First data row: B=38, C=893, K=326, 3x3, input 5, latency 2.7097... ms, grid 3x6x36.
  EXPECT_EQ(first.params().n(), 38);
  EXPECT_EQ(first.params().c(), 893);
  EXPECT_EQ(first.params().k(), 326);
  EXPECT_EQ(first.params().h(), 5);
  EXPECT_EQ(first.params().pad_h(), 1);
  EXPECT_NEAR(first.latency().median_us(), 2709.7493, 1e-3);
  EXPECT_EQ(first.algorithm(), "volta_sgemm_64x64_nn");
  // The main kernel with its grid first, then the layer's other kernels by name: the three
  // non-fused Winograd transforms around the GEMM.
  ASSERT_EQ(first.kernels_size(), 4);
  EXPECT_EQ(first.kernels(0).grid().z(), 36u);
  EXPECT_THAT(first.kernels(1).name(), ::testing::HasSubstr("winogradforwarddata4x4"));
  EXPECT_EQ(first.kernels(1).grid().x(), 0u);
  for (const v1::Measurement& m : dataset->measurements) {
    ASSERT_TRUE(ValidateConvParams(m.params(), "").ok());
    ASSERT_GT(m.latency().median_us(), 0);
  }
}

TEST(NeuSightDatasetTest, MissingColumnIsAnError) {
  const std::string path = ::testing::TempDir() + "/not_neusight.csv";
  std::ofstream(path) << "Latency,B\n1,2\n";
  EXPECT_THAT(LoadNeuSightCsv(path).status().message(), ::testing::HasSubstr("missing column 'Kernel Name'"));
}

}  // namespace
}  // namespace convlat::model
