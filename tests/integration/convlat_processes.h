#pragma once
// The real binaries under test, for the integration tests: convlat-server on a free loopback port
// with a SQLite file in the test's own temporary folder, convlat-agent and convlat-client against
// it, and what the tests read back (the spool, the server's counts).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/subprocess.h"

namespace convlat::testing {

extern const std::string kServerBinary;
extern const std::string kAgentBinary;
extern const std::string kClientBinary;

// Five small layers: enough for the first model, fast enough for CI.
extern const char kTinySweep[];

// Measurement rows of a CSV file such as those of data/measurements/ (each one line after the header).
int CsvRows(const std::string& path);

class ConvlatProcessesTest : public ::testing::Test {
 protected:
  // A fresh folder per test (kept when the test fails, for its logs), with kTinySweep in sweep.txt.
  void SetUp() override;
  void TearDown() override;

  // Starts the server on a free port and waits for it to say which; or on `listen` (a restart
  // keeps the address the agents know). Points address_ at 127.0.0.1 and that port.
  void StartServer(const std::vector<std::string>& extra = {}, const std::string& listen = "127.0.0.1:0");

  // The agent's command line: this test's server and spool, a short push timeout, then `extra`.
  std::vector<std::string> AgentArgv(const std::vector<std::string>& extra) const;
  ProcessResult Agent(const std::vector<std::string>& extra) const;
  ProcessResult Client(const std::vector<std::string>& extra) const;

  // Pending batch files in `spool` (default: the agent's), the rejected/ folder and temporaries aside.
  int PendingBatches(const std::filesystem::path& spool = {}) const;
  // Files in the spool's rejected/ folder.
  int RejectedFiles() const;
  // Successful measurements the server holds for `platform`, as `convlat-client platforms` lists
  // them; -1 when it does not list the platform (or cannot be asked).
  int StoredMeasurements(const std::string& platform, const std::vector<std::string>& client_flags = {}) const;
  // Polls `platforms` until the platform's model is ready (it is fitted in the background).
  std::string WaitForModel(const std::string& platform) const;

  std::filesystem::path dir_;
  std::filesystem::path db_;  // the server's SQLite file: dir_/convlat.db unless a test moves it
  // Words put before the server's command line: a wrapper that prepares its process and execs it.
  std::vector<std::string> server_launcher_;
  std::unique_ptr<BackgroundProcess> server_;
  int port_ = 0;
  std::string address_;  // what the agent and the client are given as --server
};

}  // namespace convlat::testing
