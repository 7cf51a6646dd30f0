// convlat-agent calibrate through the real binaries: a network run on oneDNN, its layers timed
// alone, the share of their hot gain they keep recorded with the platform and served.
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

class CalibrationTest : public ConvlatProcessesTest {};

// The calibration runs a real network, times its layers alone, and records the share of their hot
// gain the layers keep with the platform; the server refits and its model shows the factor.
TEST_F(CalibrationTest, RecordsTheHotGainLayersKeepAndTheServerServesIt) {
  StartServer();
  ProcessResult agent = Agent({"--platform=ci-cpu", "--sweep=" + (dir_ / "sweep.txt").string(), "--min_time=0"});
  ASSERT_EQ(agent.exit_code, 0) << agent.output;
  WaitForModel("ci-cpu");

  const std::string squeezenet = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/squeezenet1_1.onnx";
  // On a machine busy with other tests the hot timings can come out slower than the evicted ones:
  // the agent then refuses to fit (its busy-machine error), and the test calibrates again.
  ProcessResult calibrate;
  for (int attempt = 0; attempt < 3; ++attempt) {
    calibrate = Agent({"calibrate", "--platform=ci-cpu", squeezenet, "--runs=2", "--min_time=0", "--max_time=0.01",
                       "--last_level_cache_bytes=33554432", "--layers_out=" + (dir_ / "layers.csv").string()});
    if (calibrate.output.find("there is no hot gain to calibrate") == std::string::npos) break;
  }
  ASSERT_EQ(calibrate.exit_code, 0) << calibrate.output;
  EXPECT_THAT(calibrate.output, HasSubstr("squeezenet1_1"));
  EXPECT_THAT(calibrate.output, HasSubstr("hot_gain_kept[nchw] = "));
  EXPECT_THAT(calibrate.output, HasSubstr("(32.0 MiB last-level cache)"));
  std::ifstream layers(dir_ / "layers.csv");
  std::string header, first;
  std::getline(layers, header);
  std::getline(layers, first);
  EXPECT_EQ(header, "network,layer,op,spec,in_network_us,evicted_us,hot_us,hot_share");
  EXPECT_THAT(first, ::testing::StartsWith("squeezenet1_1,/features/features.0/Conv,"));
  std::string model;
  for (int attempt = 0; attempt < 100 && model.find("cache.hot_gain_kept.nchw") == std::string::npos; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    model = Client({"model", "--platform=ci-cpu", "--format=json"}).output;
  }
  EXPECT_THAT(model, HasSubstr("cache.hot_gain_kept.nchw"));

  ProcessResult nothing = Agent({"calibrate", "--platform=ci-cpu"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_THAT(nothing.output, HasSubstr("calibrate takes one or more ONNX networks"));
  ProcessResult nhwc = Agent({"calibrate", "--platform=ci-cpu", "--layout=nhwc", squeezenet});
  EXPECT_EQ(nhwc.exit_code, 2);
  EXPECT_THAT(nhwc.output, HasSubstr("--layout: the cpu runner runs nchw or native"));
  ProcessResult unnamed = Agent({"calibrate", squeezenet});
  EXPECT_EQ(unnamed.exit_code, 2);
  EXPECT_THAT(unnamed.output, HasSubstr("--platform is required"));
}

}  // namespace
}  // namespace convlat::testing
