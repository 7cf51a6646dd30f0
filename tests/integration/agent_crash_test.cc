// kill -9 of the agent, mid-sweep and mid-push, then the agent again with the same spool: every
// measurement is stored exactly once. A kill can land between measuring a config and spooling it
// (the next run measures it again), between the server storing a batch and the agent removing it
// from its spool (sent again, stored once by its batch id), or in the middle of writing a spool
// file (a temporary the spool ignores).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

class AgentCrashTest : public ConvlatProcessesTest {
 protected:
  // Starts the agent with `args` in the background and returns once the server holds some of
  // platform "box"'s measurements: the agent is then in the middle of its work.
  std::unique_ptr<BackgroundProcess> AgentUnderWay(const std::vector<std::string>& args) {
    auto agent = std::make_unique<BackgroundProcess>(AgentArgv(args), (dir_ / "killed-agent.log").string());
    for (int i = 0; i < 1000 && StoredMeasurements("box") <= 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return agent;
  }
  // kill -9, failing the test when the agent had finished before it.
  void KillNine(BackgroundProcess& agent) {
    const int status = agent.Stop(SIGKILL);
    ASSERT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the agent had finished before the kill; see " << dir_ / "killed-agent.log";
  }
  // Polls until the spool's pending batches stay the same for a tenth of a second.
  void WaitUntilTheSpoolSettles() {
    for (int i = 0, last = -1; i < 100; ++i) {
      const int now = PendingBatches();
      if (now == last) return;
      last = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

TEST_F(AgentCrashTest, KilledMidSweepTheNextRunStoresEachConfigOfTheSweepOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Twelve distinct configs timed for at least 0.3 s each, spooled and pushed two at a time: the
  // kill comes after the first push, seconds before the end of the sweep.
  constexpr int kConfigs = 12;
  {
    std::ofstream sweep(dir_ / "long-sweep.txt");
    for (int k = 1; k <= kConfigs; ++k) sweep << "n=1,c=8,h=16,w=16,r=3,s=3,pad=1,k=" << 8 * k << "\n";
  }
  const std::vector<std::string> run = {"--platform=box", "--sweep=" + (dir_ / "long-sweep.txt").string(),
                                        "--batch_size=2", "--min_time=0.3", "--max_time=0.5"};
  ASSERT_NO_FATAL_FAILURE(KillNine(*AgentUnderWay(run)));
  ASSERT_LT(StoredMeasurements("box"), kConfigs) << "the sweep had been stored whole before the kill";

  const ProcessResult resumed = Agent(run);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(PendingBatches(), 0);
  EXPECT_EQ(StoredMeasurements("box"), kConfigs) << "each config of the sweep stored exactly once";
}

TEST_F(AgentCrashTest, KilledMidPushTheNextFlushStoresEachMeasurementOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Hundreds of measurements, one batch each: a push of some seconds, one ack at a time.
  const std::string csv = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/staircase.csv";
  const int rows = CsvRows(csv);
  const std::unique_ptr<BackgroundProcess> agent =
      AgentUnderWay({"import", "--platform=box", "--batch_size=1", "--push_timeout=60", csv});
  // The kill must leave a batch both stored and spooled: the server is frozen until the agent has
  // sent its next batch and waits for the ack; the agent is frozen while the server stores that
  // batch and acks it into the frozen agent's socket; then the agent is killed. With one
  // measurement a batch, the server's count and the spool's then add up to one more than the file.
  kill(server_->pid(), SIGSTOP);
  WaitUntilTheSpoolSettles();
  kill(agent->pid(), SIGSTOP);
  kill(server_->pid(), SIGCONT);
  bool stored_and_spooled = false;
  for (int i = 0; i < 400 && !stored_and_spooled; ++i) {
    stored_and_spooled = StoredMeasurements("box") + PendingBatches() == rows + 1;
    if (!stored_and_spooled) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NO_FATAL_FAILURE(KillNine(*agent));
  ASSERT_TRUE(stored_and_spooled) << "no batch was both stored and spooled at the kill";
  ASSERT_LT(StoredMeasurements("box"), rows) << "the push had finished before the kill";
  EXPECT_GT(PendingBatches(), 0);

  const ProcessResult flushed = Agent({"flush"});
  ASSERT_EQ(flushed.exit_code, 0) << flushed.output;
  EXPECT_EQ(PendingBatches(), 0);
  EXPECT_EQ(StoredMeasurements("box"), rows) << "each measurement of the file stored exactly once\n" << flushed.output;
}

}  // namespace
}  // namespace convlat::testing
