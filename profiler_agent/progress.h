#pragma once
// A progress line on stderr: count, percent, elapsed time and ETA.

#include <chrono>
#include <ostream>
#include <string>

namespace convlat::agent {

class ProgressBar {
 public:
  // `interactive`: redraw one line with \r (a terminal); otherwise print a line every ~10%.
  ProgressBar(int total, std::ostream& out, bool interactive);
  void Advance(const std::string& label);
  void Finish();

 private:
  std::string Line(const std::string& label) const;

  int total_;
  int done_ = 0;
  int last_decile_ = -1;
  std::ostream& out_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace convlat::agent
