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

const std::string kResNet18 = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx";

class JetsonNanoTest : public ConvlatProcessesTest {
 protected:
  // The public T4 and V100 as the transfer's sources.
  void StartServerWithTwoPublicGpus() {
    const std::string data = model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
    StartServer({"--seed_public_data=" + data, "--seed_platforms=gpu-t4,gpu-v100"});
  }

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
  StartServerWithTwoPublicGpus();
  // Registered from the spec table: 1 SM, no measurements, served the transfer model.
  EXPECT_THAT(WaitForModel("jetson-nano", std::chrono::minutes(8)),
              ::testing::StartsWith("jetson-nano,gpu,NVIDIA Jetson Nano,1,cudnn,0,transferred,"));

  ProcessResult query = Client({"query", kResNet18, "--platform=jetson-nano", "--batch=1"});
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

// Any GPU nobody profiled, registered by the CLI from its spec: answered the same way, and refused
// with the flag to give or the reason, changing nothing, when it cannot be.
TEST_F(JetsonNanoTest, RegisterGpuFromTheCliIsAnsweredAsATransferredEstimate) {
  StartServerWithTwoPublicGpus();
  ProcessResult registered = Client({"register-gpu", "my-h100", "--device=NVIDIA H100 PCIe"});
  ASSERT_EQ(registered.exit_code, 0) << registered.output;
  EXPECT_THAT(registered.output, HasSubstr("NVIDIA H100 PCIe  114"));
  EXPECT_THAT(WaitForModel("my-h100", std::chrono::minutes(8)),
              ::testing::StartsWith("my-h100,gpu,NVIDIA H100 PCIe,114,cudnn,0,transferred,"));
  ProcessResult query = Client({"query", kResNet18, "--platform=my-h100", "--batch=1"});
  ASSERT_EQ(query.exit_code, 0) << query.output;
  EXPECT_THAT(query.output, HasSubstr("total (transferred estimate)"));
  // Its model, named as register-gpu named it: as the argument, or as --platform.
  ProcessResult model = Client({"model", "my-h100"});
  ASSERT_EQ(model.exit_code, 0) << model.output;
  EXPECT_THAT(model.output, HasSubstr("yes (too few layers of its own)"));
  ProcessResult both = Client({"model", "my-h100", "--platform=gpu-t4"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.output, HasSubstr("model takes one platform name (as --platform P or as its argument)"));

  ProcessResult unknown = Client({"register-gpu", "my-5090", "--device=NVIDIA GeForce RTX 5090"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("--sms is required"));
  ProcessResult measured = Client({"register-gpu", "gpu-t4", "--device=Tesla T4", "--clock_mhz=1000"});
  EXPECT_EQ(measured.exit_code, 1);
  EXPECT_THAT(measured.output, HasSubstr("FAILED_PRECONDITION: platform 'gpu-t4' was registered by an agent"));
  EXPECT_THAT(Client({"platforms", "--format=csv"}).output, ::testing::Not(HasSubstr("my-5090")));
  EXPECT_THAT(WaitForModel("gpu-t4", std::chrono::minutes(8)),
              ::testing::StartsWith("gpu-t4,gpu,Tesla T4,40,cudnn 8.9.2,4969,ready,"));
}

}  // namespace
}  // namespace convlat::testing
