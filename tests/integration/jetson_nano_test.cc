// jetson-nano out of the box, through the real binaries: a server seeded with two public GPUs
// knows the Nano by its spec alone and answers a whole-network query on it, labelled as a
// transferred estimate with its 80 % interval.
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "model/datasets/public_datasets.h"
#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

class JetsonNanoTest : public ConvlatProcessesTest {
 protected:
  // The `platforms` CSV line of `name` once its model is served, or the last line seen.
  std::string WaitForModel(const std::string& name, std::chrono::minutes patience) const {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    std::string line;
    while (std::chrono::steady_clock::now() < give_up) {
      for (absl::string_view l : absl::StrSplit(Client({"platforms", "--format=csv"}).output, '\n')) {
        if (absl::StartsWith(l, name + ",")) line = std::string(l);
      }
      if (!absl::StrContains(line, ",none,")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return line;
  }
};

TEST_F(JetsonNanoTest, AnsweredAsATransferredEstimateUntilMeasured) {
  const std::string data = model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  StartServer({"--seed_public_data=" + data, "--seed_platforms=gpu-t4,gpu-v100"});
  // Registered from the spec table: 1 SM, no measurements, served the transfer model.
  EXPECT_THAT(WaitForModel("jetson-nano", std::chrono::minutes(8)),
              ::testing::StartsWith("jetson-nano,gpu,NVIDIA Jetson Nano,1,cudnn,0,transferred,"));

  const std::string resnet = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx";
  ProcessResult query = Client({"query", resnet, "--platform=jetson-nano", "--batch=1"});
  ASSERT_EQ(query.exit_code, 0) << query.output;
  EXPECT_THAT(query.output, HasSubstr("total (transferred estimate)"));
  EXPECT_THAT(query.output, HasSubstr("transferred estimate: "));
  EXPECT_THAT(query.output, HasSubstr("80 % interval p10-p90"));
  EXPECT_THAT(query.output, HasSubstr("transferred from gpu-t4, gpu-v100 (no measurements of this platform)"));

  ProcessResult model = Client({"model", "--platform=jetson-nano", "--format=json"});
  ASSERT_EQ(model.exit_code, 0) << model.output;
  EXPECT_THAT(model.output, HasSubstr("\"transferred\": true"));
  EXPECT_THAT(model.output, HasSubstr("\"model_kind\": \"transfer\""));
}

}  // namespace
}  // namespace convlat::testing
