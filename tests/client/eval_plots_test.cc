#include "client/eval_plots.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "tests/client/svg_test_parser.h"
#include "tests/support/test_dir.h"

namespace convlat::client {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(EvalPlotsTest, FileStemsAreLowerCaseWords) {
  EXPECT_EQ(PlotFileStem("Tesla T4"), "tesla-t4");
  EXPECT_EQ(PlotFileStem("NVIDIA A100 80GB PCIe"), "nvidia-a100-80gb-pcie");
  EXPECT_EQ(PlotFileStem("  ??"), "platform");
}

TEST(EvalPlotsTest, ASliceDiffersOnlyInTheSweptParameter) {
  std::vector<model::Sample> samples;
  for (int k : {16, 32, 64, 128}) {
    samples.push_back({.shape = {.n = 8, .c = 64, .h = 14, .w = 14, .k = k, .r = 3, .s = 3, .pad_h = 1, .pad_w = 1},
                       .latency_us = 10.0 * k});
  }
  samples.push_back({.shape = {.n = 9, .c = 70, .h = 14, .w = 14, .k = 40, .r = 3, .s = 3, .pad_h = 1, .pad_w = 1},
                     .latency_us = 400});  // within 20 % in n and c: joins
  samples.push_back({.shape = {.n = 8, .c = 64, .h = 14, .w = 14, .k = 50, .r = 1, .s = 1}, .latency_us = 100});
  samples.push_back({.shape = {.n = 8, .c = 128, .h = 14, .w = 14, .k = 50, .r = 3, .s = 3, .pad_h = 1, .pad_w = 1},
                     .latency_us = 100});
  absl::StatusOr<LayerSlice> slice = LargestSlice(samples, "k", 0.2);
  ASSERT_TRUE(slice.ok()) << slice.status();
  EXPECT_EQ(slice->members.size(), 5u);
  EXPECT_EQ(SweptValue(WithSwept(slice->anchor, "h", 7), "h"), 7);
  EXPECT_EQ(WithSwept(slice->anchor, "h", 7).w, 7);
  EXPECT_EQ(LargestSlice(samples, "groups", 0.2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LargestSlice(samples, "n", 0.0).status().code(), absl::StatusCode::kFailedPrecondition);
}

// The three plots of one real GPU (the public T4 measurements, two models, a short learning
// curve): well-formed SVGs with the points, lines, marks and labels they promise, each small.
TEST(EvalPlotsTest, WritesThePlotsOfARealGpu) {
  const std::string path =
      model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv";
  absl::StatusOr<model::NeuSightDataset> data = model::LoadNeuSightCsv(path);
  ASSERT_TRUE(data.ok()) << data.status();
  const std::vector<model::Sample> samples = model::SamplesFromMeasurements(data->measurements);
  const model::SampleSplit split = model::SplitSamples(samples, 0.2, 1);
  absl::StatusOr<std::vector<model::ModelFitter>> fitters = model::ModelFittersNamed("two-mode,flops-linear");
  ASSERT_TRUE(fitters.ok());
  const model::HardwareInfo hardware = model::HardwareOf(data->platform);
  EvalPlotData plots{"Tesla T4",
                     &samples,
                     &split,
                     &*fitters,
                     hardware,
                     "flops-linear",
                     model::LearningCurve(*fitters, split.train, split.test, {50, 200}, 1, 1, hardware),
                     "k"};
  const std::string dir = testing::FreshTestDir().string();
  std::vector<std::string> written;
  const absl::Status status = WriteEvalPlots(dir, plots, written);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(written.size(), 3u);

  for (const std::string& file : written) EXPECT_LT(std::filesystem::file_size(file), 300u * 1024) << file;
  const ParsedSvg scatter = ParseSvg(ReadFile(dir + "/tesla-t4-predicted-vs-measured.svg"));
  ASSERT_TRUE(scatter.well_formed) << scatter.error;
  // Every held-out layer once per model (no subsampling below 1,200), and the two legend dots.
  EXPECT_EQ(scatter.elements.at("circle"), 2 * static_cast<int>(split.test.size()) + 2);
  EXPECT_EQ(scatter.elements.at("path"), 3);  // y = x and the two sides of the ±10 % band
  EXPECT_EQ(scatter.classes.at("legend"), 4);
  EXPECT_GE(scatter.classes.at("tick"), 6);

  const ParsedSvg curve = ParseSvg(ReadFile(dir + "/tesla-t4-learning-curve.svg"));
  ASSERT_TRUE(curve.well_formed) << curve.error;
  EXPECT_EQ(curve.elements.at("path"), 2);  // one line per model
  EXPECT_EQ(curve.classes.at("legend"), 2);

  const ParsedSvg staircase = ParseSvg(ReadFile(dir + "/tesla-t4-staircase.svg"));
  ASSERT_TRUE(staircase.well_formed) << staircase.error;
  const absl::StatusOr<LayerSlice> slice = LargestSlice(samples, "k", 0.2);
  ASSERT_TRUE(slice.ok());
  EXPECT_EQ(staircase.elements.at("circle"), static_cast<int>(slice->members.size()) + 2);
  EXPECT_EQ(staircase.elements.at("path"), 2);  // the two-mode staircase and the baseline
  EXPECT_GE(staircase.classes.at("mark"), 1);   // the kernel cuDNN runs changes along k
  EXPECT_EQ(staircase.classes.at("legend"), 5);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace convlat::client
