// The load check before a sweep: /proc/stat's text parsed from given samples, the busy share and
// the warning from given numbers, and one real reading.
#include "profiler_agent/noise/machine_load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

// The head of a real /proc/stat (Linux 6.1): user nice system idle iowait irq softirq steal guest
// guest_nice.
constexpr char kProcStat[] =
    "cpu  1000 20 300 5000 40 5 6 7 0 0\n"
    "cpu0 500 10 150 2500 20 2 3 3 0 0\n"
    "intr 12345 0 0\n";

TEST(MachineLoadTest, ParsesTheAggregateCpuLine) {
  absl::StatusOr<CpuTicks> ticks = ParseProcStat(kProcStat);
  ASSERT_TRUE(ticks.ok()) << ticks.status();
  EXPECT_EQ(ticks->busy, 1000u + 20 + 300 + 5 + 6 + 7);
  EXPECT_EQ(ticks->total, ticks->busy + 5000 + 40);
}

TEST(MachineLoadTest, TextWithoutTheCpuLineIsAnError) {
  EXPECT_EQ(ParseProcStat("cpu0 1 2 3 4\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProcStat("cpu  1 x 3 4\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProcStat("cpu  1 2\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MachineLoadTest, BusyShareIsTheBusyPartOfTheTicksBetweenReadings) {
  EXPECT_DOUBLE_EQ(BusyShare({.busy = 100, .total = 1000}, {.busy = 150, .total = 1200}), 0.25);
  EXPECT_DOUBLE_EQ(BusyShare({.busy = 100, .total = 1000}, {.busy = 100, .total = 1000}), 0);
}

TEST(MachineLoadTest, WarnsAboveTheShareNamingWhatItSawAndWhatItDisturbs) {
  EXPECT_FALSE(MachineLoadWarning(0.03, 2, absl::Seconds(1), "the sweep", "").has_value());
  EXPECT_FALSE(MachineLoadWarning(kMaxIdleBusyShare, 2, absl::Seconds(1), "the sweep", "").has_value());
  std::optional<std::string> warning =
      MachineLoadWarning(0.5, 2, absl::Seconds(1), "the calibration", "Calibrate again on a quiet machine");
  ASSERT_TRUE(warning.has_value());
  EXPECT_THAT(*warning, HasSubstr("WARNING: this machine is busy before the calibration: 50% of its 2 cores' time"));
  EXPECT_THAT(*warning, HasSubstr("about 1.0 cores' worth"));
  EXPECT_THAT(*warning, HasSubstr("disturbed). Calibrate again on a quiet machine."));
}

TEST(MachineLoadTest, ReadsThisMachinesShare) {
  absl::StatusOr<double> share = SampleBusyShare(absl::Milliseconds(50));
  ASSERT_TRUE(share.ok()) << share.status();
  EXPECT_GE(*share, 0);
  EXPECT_LE(*share, 1);
}

}  // namespace
}  // namespace convlat::agent
