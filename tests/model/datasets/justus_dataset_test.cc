// Reads the public Justus et al. measurements of data/public/justus-conv/ (or $CONVLAT_DATASETS).
#include "model/datasets/justus_dataset.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/public_datasets.h"
#include "model/latency/samples.h"
#include "model/layers/conv_shape.h"
#include "tests/support/test_dir.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

std::string JustusPath(const char* file) {
  return DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/justus-conv/" + file;
}

int OutputSize(const v1::ConvParams& p) { return (p.h() + 2 * p.pad_h() - p.r()) / p.stride_h() + 1; }

// Row 2 of the file: 1,32,21,22,4,1,VALID,sigmoid,True,fp32,0.2402591705322265,0.1796627044677734,...
TEST(JustusDatasetTest, ReadsAValidRowWithItsBiasAndActivation) {
  absl::StatusOr<JustusDataset> data = LoadJustusCsv(JustusPath("GTX_1080_Ti.csv"));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->measurements.size(), 12347u);  // the README's row count
  EXPECT_EQ(data->device, "GTX 1080 Ti");
  const v1::Measurement& first = data->measurements.front();
  const v1::ConvParams& p = first.params();
  EXPECT_EQ(p.n(), 1);
  EXPECT_EQ(p.c(), 21);
  EXPECT_EQ(p.k(), 22);
  EXPECT_EQ(p.h(), 32);
  EXPECT_EQ(p.w(), 32);
  EXPECT_EQ(p.r(), 4);
  EXPECT_EQ(p.stride_h(), 1);
  EXPECT_EQ(p.pad_h(), 0);
  EXPECT_EQ(p.layout(), v1::LAYOUT_NHWC);
  EXPECT_EQ(p.dtype(), v1::DATA_TYPE_FP32);
  EXPECT_EQ(first.fused_ops(), "bias+sigmoid");
  EXPECT_EQ(first.backend(), "tensorflow");
  EXPECT_EQ(first.algorithm(), "tf1:conv2d");
  EXPECT_TRUE(first.kernels().empty());
  EXPECT_NEAR(first.latency().median_us(), 240.2591705322265, 1e-9);  // milliseconds in the file
  EXPECT_NEAR(first.latency().min_us(), 179.6627044677734, 1e-9);
}

// Tesla_V100.csv rows 3 and 4: SAME with an odd total (28,93,51,11,4,1: total 3, TensorFlow
// pads the input to 94 and 1 each side) and an even one (28,219,26,16,7,2: total 6, 3 each side).
TEST(JustusDatasetTest, SamePaddingBecomesTheConvolutionCudnnRan) {
  absl::StatusOr<JustusDataset> data = LoadJustusCsv(JustusPath("Tesla_V100.csv"));
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_GE(data->measurements.size(), 3u);
  const v1::Measurement& odd = data->measurements[1];
  EXPECT_EQ(odd.params().h(), 94);
  EXPECT_EQ(odd.params().pad_h(), 1);
  EXPECT_EQ(OutputSize(odd.params()), 93);
  EXPECT_EQ(odd.fused_ops(), "bias");
  const v1::Measurement& even = data->measurements[2];
  EXPECT_EQ(even.params().h(), 219);
  EXPECT_EQ(even.params().pad_h(), 3);
  EXPECT_EQ(OutputSize(even.params()), 110);
  EXPECT_EQ(even.fused_ops(), "bias+tanh");
}

// Over every input, kernel and stride of the set: the recorded convolution has TensorFlow's
// output size and pads the same total, with the odd row inside the input.
TEST(JustusDatasetTest, GeometryKeepsTensorFlowsOutputSizeAndPadding) {
  for (int in = 1; in <= 80; ++in) {
    for (int kernel = 1; kernel <= 7; ++kernel) {
      for (int stride = 1; stride <= 4; ++stride) {
        absl::StatusOr<CudnnGeometry> same = TensorFlowConvGeometry(in, kernel, stride, "SAME");
        ASSERT_TRUE(same.ok()) << same.status();
        const int out = (in + stride - 1) / stride;
        EXPECT_EQ((same->in + 2 * same->pad - kernel) / stride + 1, out) << in << " " << kernel << " " << stride;
        EXPECT_EQ(same->in - in + 2 * same->pad, std::max((out - 1) * stride + kernel - in, 0));
        if (in < kernel) continue;
        absl::StatusOr<CudnnGeometry> valid = TensorFlowConvGeometry(in, kernel, stride, "VALID");
        ASSERT_TRUE(valid.ok()) << valid.status();
        EXPECT_EQ(valid->pad, 0);
        EXPECT_EQ((valid->in - kernel) / stride + 1, (in - kernel + stride) / stride);
      }
    }
  }
  EXPECT_FALSE(TensorFlowConvGeometry(3, 5, 1, "VALID").ok());
  EXPECT_FALSE(TensorFlowConvGeometry(8, 3, 1, "FULL").ok());
}

// Every file reads, its platform is described from the spec table, and each row gives a sample.
TEST(JustusDatasetTest, EveryGpuOfTheSetReadsWithItsSpecs) {
  const std::pair<const char*, int> files[] = {{"Tesla_K40.csv", 15},
                                               {"Tesla_K80.csv", 13},
                                               {"Tesla_M60.csv", 16},
                                               {"GTX_1080_Ti.csv", 28},
                                               {"Tesla_V100.csv", 80}};
  for (const auto& [file, sms] : files) {
    absl::StatusOr<JustusDataset> data = LoadJustusCsv(JustusPath(file));
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(data->platform.compute_units(), sms) << file;
    EXPECT_GT(data->platform.memory_bandwidth_gbps(), 0) << file;
    EXPECT_FALSE(data->platform.compute_capability().empty()) << file;
    EXPECT_EQ(data->platform.library(), "tensorflow");
    // Rows that differ only in their epilogue are one layer to the model.
    const size_t samples = SamplesFromMeasurements(data->measurements).size();
    EXPECT_GT(samples, data->measurements.size() / 2) << file;
    EXPECT_LE(samples, data->measurements.size()) << file;
  }
}

TEST(JustusDatasetTest, ABadRowIsRefusedNamingLineAndColumn) {
  const std::filesystem::path dir = convlat::testing::FreshTestDir();
  const std::string path = (dir / "Tesla_K40.csv").string();
  std::ofstream(path) << "batch,in_hw,c_in,c_out,kernel,stride,padding_tf,activation,use_bias,precision,"
                         "time_ms_median,time_ms_min,time_ms_max,time_ms_std\n"
                         "1,32,21,22,4,1,VALID,relu,True,fp32,0.24,0.17,0.28,0.03\n"
                         "1,32,21,22,4,1,FULL,relu,True,fp32,0.24,0.17,0.28,0.03\n";
  absl::StatusOr<JustusDataset> data = LoadJustusCsv(path);
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(data.status().message(), HasSubstr("Tesla_K40.csv:3: column 'padding_tf'"));
  std::ofstream(path) << "batch,in_hw\n1,32\n";
  EXPECT_THAT(LoadJustusCsv(path).status().message(), HasSubstr("missing column 'c_in'"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace convlat::model
