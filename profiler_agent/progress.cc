#include "profiler_agent/progress.h"

#include "absl/strings/str_format.h"

namespace convlat::agent {
namespace {

std::string Clock(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

ProgressBar::ProgressBar(int total, std::ostream& out, bool interactive)
    : total_(total), out_(out), interactive_(interactive), start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::Line(const std::string& label) const {
  constexpr int kWidth = 30;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = done_ > 0 ? elapsed / done_ * (total_ - done_) : 0;
  const int filled = static_cast<int>(fraction * kWidth);
  return absl::StrFormat("[%s%s] %d/%d %3.0f%% elapsed %s eta %s  %s", std::string(filled, '#'),
                         std::string(kWidth - filled, '.'), done_, total_, 100 * fraction, Clock(elapsed), Clock(eta),
                         label.substr(0, 60));
}

void ProgressBar::Advance(const std::string& label) {
  ++done_;
  if (interactive_) {
    out_ << "\r\033[K" << Line(label) << std::flush;
    return;
  }
  const int decile = total_ > 0 ? done_ * 10 / total_ : 10;
  if (decile != last_decile_) {
    last_decile_ = decile;
    out_ << Line(label) << "\n" << std::flush;
  }
}

void ProgressBar::Finish() {
  if (interactive_) out_ << "\n" << std::flush;
}

}  // namespace convlat::agent
