// `convlat-server --seed_public_data data/public`: a fresh server gets the public GPU platforms
// (data/public/README.md) without a network and without anyone typing imports, fits them, and
// answers a whole-network query on one of them; a restart seeds nothing twice.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "model/datasets/public_datasets.h"
#include "tests/integration/convlat_processes.h"
#include "tests/support/onnx_with_weights.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

class PublicDataSeedingTest : public ConvlatProcessesTest {
 protected:
  static std::string DataDir() { return model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public"); }

  // The `platforms` CSV line of `name` ("" when not listed).
  std::string Line(const std::string& listing, const std::string& name) const {
    for (absl::string_view line : absl::StrSplit(listing, '\n')) {
      if (absl::StartsWith(line, name + ",")) return std::string(line);
    }
    return "";
  }

  // Polls until `platform`'s model is ready (fitted in the background; a Justus platform takes
  // about a minute on two busy cores) or `patience` runs out; returns the last listing.
  std::string WaitForReady(const std::string& platform, std::chrono::minutes patience) const {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    std::string listing;
    while (std::chrono::steady_clock::now() < give_up) {
      listing = Client({"platforms", "--format=csv"}).output;
      if (absl::StrContains(Line(listing, platform), ",ready,")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return listing;
  }
};

// Seeded before listening: the first listing has every platform, described from the spec table.
// Fitting all eight takes minutes here; the T4 is fitted first (queued first) and answers.
TEST_F(PublicDataSeedingTest, AFreshServerListsEveryGpuPlatformAndAnswersOnTheT4) {
  StartServer({"--seed_public_data=" + DataDir()});
  const std::string first = Client({"platforms", "--format=csv"}).output;
  EXPECT_THAT(first, HasSubstr("gpu-t4,gpu,Tesla T4,40,cudnn 8.9.2,4969,"));
  EXPECT_THAT(first, HasSubstr("gpu-v100,gpu,Tesla V100-PCIE-32GB,80,cudnn 8.9.2,4958,"));
  EXPECT_THAT(first, HasSubstr("gpu-a100,gpu,NVIDIA A100 80GB PCIe,108,cudnn 8.9.2,4787,"));
  EXPECT_THAT(first, HasSubstr("gpu-k40-justus,gpu,Tesla K40,15,tensorflow,12459,"));
  EXPECT_THAT(first, HasSubstr("gpu-k80-justus,gpu,Tesla K80,13,tensorflow,12537,"));
  EXPECT_THAT(first, HasSubstr("gpu-m60-justus,gpu,Tesla M60,16,tensorflow,12510,"));
  EXPECT_THAT(first, HasSubstr("gpu-1080ti-justus,gpu,GTX 1080 Ti,28,tensorflow,12347,"));
  EXPECT_THAT(first, HasSubstr("gpu-v100-justus,gpu,Tesla V100,80,tensorflow,25017,"));
  // Nothing of the public data is noisy, superseded or retired.
  EXPECT_THAT(Line(WaitForReady("gpu-t4", std::chrono::minutes(5)), "gpu-t4"),
              ::testing::StartsWith("gpu-t4,gpu,Tesla T4,40,cudnn 8.9.2,4969,ready,0.0%,0,0,"));

  // A whole network: the convolutions from the two-mode model, the other ops from the T4's peak
  // bandwidth (the spec table declares it), so every layer counts in the total.
  const std::string resnet = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx";
  ProcessResult query = Client({"query", resnet, "--platform=gpu-t4", "--batch=1", "--format=csv"});
  ASSERT_EQ(query.exit_code, 0) << query.output;
  EXPECT_THAT(query.output, HasSubstr("/conv1/Conv,Conv+Relu,"));
  EXPECT_THAT(query.output, HasSubstr("two-mode"));
  EXPECT_THAT(query.output, HasSubstr("total,"));
  EXPECT_THAT(query.output, ::testing::Not(HasSubstr("not-modelled")));

  // The client strips the weights: ResNet-50 as exported (~100 MB, over the server's 64 MB for a
  // model) goes through.
  const std::filesystem::path full = dir_ / "resnet50-with-weights.onnx";
  std::ofstream(full, std::ios::binary) << FixtureWithWeights("resnet50");
  ASSERT_GT(std::filesystem::file_size(full), 64u << 20);
  ProcessResult heavy = Client({"query", full.string(), "--platform=gpu-t4", "--batch=1", "--format=csv"});
  ASSERT_EQ(heavy.exit_code, 0) << heavy.output;
  EXPECT_THAT(heavy.output, HasSubstr("total,"));

  // Started again on the same store with the flag: nothing is imported twice.
  server_.reset();
  StartServer({"--seed_public_data=" + DataDir()});
  EXPECT_EQ(StoredMeasurements("gpu-t4"), 4969);
  EXPECT_EQ(StoredMeasurements("gpu-v100-justus"), 25017);
}

// A Justus platform (TensorFlow, no kernel names) is fitted and answers a network query.
TEST_F(PublicDataSeedingTest, AJustusPlatformIsFittedAndAnswers) {
  StartServer({"--seed_public_data=" + DataDir(), "--seed_platforms=gpu-m60-justus"});
  const std::string listing = WaitForReady("gpu-m60-justus", std::chrono::minutes(8));
  EXPECT_THAT(Line(listing, "gpu-m60-justus"),
              ::testing::StartsWith("gpu-m60-justus,gpu,Tesla M60,16,tensorflow,12510,ready,"))
      << listing;
  EXPECT_EQ(Line(listing, "gpu-t4"), "") << "only the platform asked for";
  const std::string resnet = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx";
  ProcessResult query = Client({"query", resnet, "--platform=gpu-m60-justus", "--batch=1", "--format=csv"});
  ASSERT_EQ(query.exit_code, 0) << query.output;
  EXPECT_THAT(query.output, HasSubstr("two-mode"));
  EXPECT_THAT(query.output, HasSubstr("total,"));
}

TEST_F(PublicDataSeedingTest, AWrongNameOrFolderStopsTheServerSayingWhich) {
  ProcessResult unknown =
      RunProcess({kServerBinary, "--listen=127.0.0.1:0", "--db=" + db_.string(),
                  "--metrics=", "--seed_public_data=" + DataDir(), "--seed_platforms=gpu-t4,gpu-t5"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.output,
              HasSubstr("--seed_platforms: 'gpu-t5' is not a public platform; known: gpu-t4, gpu-v100"));
  ProcessResult missing = RunProcess({kServerBinary, "--listen=127.0.0.1:0", "--db=" + db_.string(),
                                      "--metrics=", "--seed_public_data=" + (dir_ / "nowhere").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.output, HasSubstr("--seed_public_data"));
  EXPECT_THAT(missing.output, HasSubstr("nowhere/neusight-conv3x3/Tesla_T4.csv"));
  ProcessResult alone = RunProcess({kServerBinary, "--db=" + db_.string(), "--seed_platforms=gpu-t4"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_THAT(alone.output, HasSubstr("--seed_platforms needs --seed_public_data"));
}

}  // namespace
}  // namespace convlat::testing
