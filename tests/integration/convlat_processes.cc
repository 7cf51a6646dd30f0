#include "tests/integration/convlat_processes.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/support/test_dir.h"

namespace convlat::testing {

namespace fs = std::filesystem;

const std::string kServerBinary = std::string(CONVLAT_BINARY_DIR) + "/server/convlat-server";
const std::string kAgentBinary = std::string(CONVLAT_BINARY_DIR) + "/profiler_agent/convlat-agent";
const std::string kClientBinary = std::string(CONVLAT_BINARY_DIR) + "/client/convlat-client";

const char kTinySweep[] =
    "# tiny sweep for the integration tests\n"
    "n=1,c=16,h=28,w=28,k=16,r=3,s=3,pad=1\n"
    "n=1,c=16,h=28,w=28,k=32,r=3,s=3,pad=1\n"
    "n=1,c=32,h=14,w=14,k=64,r=1,s=1\n"
    "n=1,c=32,h=28,w=28,k=32,r=3,s=3,pad=1,groups=32\n"
    "n=2,c=16,h=16,w=16,k=48,r=3,s=3,stride=2,pad=1,layout=nhwc\n";

int CsvRows(const std::string& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) lines += !line.empty();
  return lines - 1;
}

void ConvlatProcessesTest::SetUp() {
  dir_ = FreshTestDir();
  db_ = dir_ / "convlat.db";
  std::ofstream(dir_ / "sweep.txt") << kTinySweep;
}

void ConvlatProcessesTest::TearDown() {
  server_.reset();
  if (!HasFailure()) fs::remove_all(dir_);
}

void ConvlatProcessesTest::StartServer(const std::vector<std::string>& extra, const std::string& listen) {
  const fs::path port_file = dir_ / "port";
  fs::remove(port_file);
  std::vector<std::string> argv = server_launcher_;
  argv.insert(argv.end(), {kServerBinary, "--listen=" + listen, "--db=" + db_.string(),
                           "--metrics=", "--port_file=" + port_file.string()});
  argv.insert(argv.end(), extra.begin(), extra.end());
  server_ = std::make_unique<BackgroundProcess>(argv, (dir_ / "server.log").string());
  // Up to a minute: a server started with --seed_public_data imports data/public before listening.
  for (int i = 0; i < 1200 && !fs::exists(port_file); ++i) {
    ASSERT_TRUE(server_->running()) << "the server exited; see " << dir_ / "server.log";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(port_file);
  port_ = 0;
  in >> port_;
  ASSERT_GT(port_, 0) << "no port file from the server";
  address_ = "127.0.0.1:" + std::to_string(port_);
}

std::vector<std::string> ConvlatProcessesTest::AgentArgv(const std::vector<std::string>& extra) const {
  // A generous delivery deadline: on a busy machine the server takes its time to store, and a test
  // about pushing must not fail on the clock. Tests of an unreachable server pass a short one.
  std::vector<std::string> argv = {kAgentBinary, "--server=" + address_, "--spool=" + (dir_ / "spool").string(),
                                   "--push_timeout=120"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

ProcessResult ConvlatProcessesTest::Agent(const std::vector<std::string>& extra) const {
  return RunProcess(AgentArgv(extra));
}

ProcessResult ConvlatProcessesTest::Client(const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = {kClientBinary, "--server=" + address_, "--timeout=10"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

int ConvlatProcessesTest::PendingBatches(const fs::path& spool) const {
  const fs::path folder = spool.empty() ? dir_ / "spool" : spool;
  int count = 0;
  if (!fs::exists(folder)) return 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    count += entry.is_regular_file() && entry.path().extension() == ".batch" ? 1 : 0;
  }
  return count;
}

int ConvlatProcessesTest::RejectedFiles() const {
  const fs::path rejected = dir_ / "spool" / "rejected";
  if (!fs::exists(rejected)) return 0;
  return static_cast<int>(std::distance(fs::directory_iterator(rejected), fs::directory_iterator()));
}

int ConvlatProcessesTest::StoredMeasurements(const std::string& platform,
                                             const std::vector<std::string>& client_flags) const {
  std::vector<std::string> args = client_flags;
  args.insert(args.end(), {"platforms", "--format=csv"});
  const ProcessResult listed = Client(args);
  if (listed.exit_code != 0) return -1;
  // Rows are "platform,kind,device,units,library,samples,model,noisy,superseded,retired,
  // conv_fit_mape,op_fit_mape"; the device may hold commas, so the samples are read from the right.
  std::istringstream lines(listed.output);
  for (std::string row; std::getline(lines, row);) {
    if (row.rfind(platform + ",", 0) != 0) continue;
    size_t end = std::string::npos;
    for (int column = 0; column < 6; ++column) end = row.rfind(',', end == std::string::npos ? end : end - 1);
    const size_t start = row.rfind(',', end - 1);
    return std::atoi(row.substr(start + 1, end - start - 1).c_str());
  }
  return -1;
}

std::string ConvlatProcessesTest::WaitForModel(const std::string& platform) const {
  ProcessResult listed;
  for (int i = 0; i < 100; ++i) {
    listed = Client({"platforms", "--format=csv"});
    // The platform's own row ("name,kind,...,ready"), not another platform's that is ready.
    for (absl::string_view row : absl::StrSplit(listed.output, '\n')) {
      if (absl::StartsWith(row, platform + ",") && absl::StrContains(row, ",ready")) return listed.output;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return listed.output;
}

}  // namespace convlat::testing
