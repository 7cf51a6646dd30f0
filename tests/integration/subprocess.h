#pragma once
// Runs the real convlat binaries from tests: a child process with captured output.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace convlat::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string output;  // stdout and stderr together
};

// Runs `argv` to completion (killed after `timeout`).
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// A long-running child (the server); killed with SIGTERM (then SIGKILL) when destroyed.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool running();
  // The child's process id (to signal it, or to change its limits); -1 once it has been reaped.
  pid_t pid() const { return pid_; }
  // Sends the signal and waits for the exit; returns the exit status as waitpid gives it.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
};

}  // namespace convlat::testing
