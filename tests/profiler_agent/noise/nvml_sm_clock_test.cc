// NVML loaded at run time: a GPU that does not exist is refused with the reason, whether this
// machine has the driver (NVML finds no such bus id) or not (no library to load).
#include "profiler_agent/noise/nvml_sm_clock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

TEST(NvmlSmClockTest, AGpuThatIsNotThereIsUnavailableWithTheReason) {
  absl::StatusOr<std::unique_ptr<NvmlSmClock>> clock = NvmlSmClock::Open("0000:FF:1F.7");
  ASSERT_FALSE(clock.ok());
  EXPECT_EQ(clock.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(clock.status().message(),
              ::testing::AnyOf(::testing::HasSubstr("NVML not loaded"), ::testing::HasSubstr("0000:FF:1F.7"),
                               ::testing::HasSubstr("nvmlInit")));
}

}  // namespace
}  // namespace convlat::agent
