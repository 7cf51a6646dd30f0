// The kinds of layer a GPU never measured, answered by the transfer over a GPU that did
// (model/kind_routed_model.h), through the real server, agent and client processes.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "model/datasets/public_datasets.h"
#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class NewKindsEndToEndTest : public ConvlatProcessesTest {};

// A GPU whose agent timed 3x3 stride-1 layers only, beside one that timed every kind through the
// same framework (the public Justus K80, cut down to those layers, and the K40, imported with the
// agent): a network's 1x1 and strided layers on it come from the transfer, and the CLI says so.
TEST_F(NewKindsEndToEndTest, ANetworksLayersOfKindsAGpuNeverMeasuredComeFromTheTransfer) {
  const std::string dir = model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/justus-conv";
  ASSERT_TRUE(fs::exists(dir + "/Tesla_K80.csv")) << "public dataset not found under " << dir;
  // The file's name is its device's ("Tesla_K80.csv"): the cut-down copy keeps it, in a folder of its own.
  const fs::path cut = dir_ / "k80-3x3";
  fs::create_directories(cut);
  {
    std::ifstream in(dir + "/Tesla_K80.csv");
    std::ofstream out(cut / "Tesla_K80.csv");
    std::string line;
    std::getline(in, line);
    out << line << "\n";  // batch,in_hw,c_in,c_out,kernel,stride,...
    while (std::getline(in, line)) {
      const std::vector<std::string> cells = absl::StrSplit(line, ',');
      if (cells.size() > 5 && cells[4] == "3" && cells[5] == "1") out << line << "\n";
    }
  }
  StartServer();
  ProcessResult k40 =
      Agent({"import", "--platform=k40", "--format=justus", "--batch_size=5000", dir + "/Tesla_K40.csv"});
  ASSERT_EQ(k40.exit_code, 0) << k40.output;
  WaitForModel("k40");
  ProcessResult k80 = Agent({"import", "--platform=k80-3x3", "--format=justus", (cut / "Tesla_K80.csv").string()});
  ASSERT_EQ(k80.exit_code, 0) << k80.output;
  WaitForModel("k80-3x3");

  const std::string resnet = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx";
  ProcessResult query = Client({"query", resnet, "--platform=k80-3x3"});
  ASSERT_EQ(query.exit_code, 0) << query.output;
  EXPECT_THAT(query.output, HasSubstr("a kind of layer this platform never measured, answered by the transfer"));
  EXPECT_THAT(query.output, HasSubstr("of kinds it never measured, come from the transfer over GPUs that did"));
}

}  // namespace
}  // namespace convlat::testing
