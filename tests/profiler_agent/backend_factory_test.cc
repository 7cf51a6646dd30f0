// Choosing a backend and an algorithm selection from the command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profiler_agent/backend/conv_backend.h"

namespace convlat::agent {
namespace {

TEST(BackendFactoryTest, NamesTheFlag) {
  EXPECT_THAT(MakeBackend("tpu").status().message(), ::testing::HasSubstr("--backend"));
}

TEST(BackendFactoryTest, CpuIsThereOnlyWhenBuiltWithOneDnn) {
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeBackend("cpu");
#if CONVLAT_HAVE_ONEDNN
  EXPECT_TRUE(backend.ok()) << backend.status();
#else
  // A GPU-only agent (CONVLAT_WITH_ONEDNN=OFF) refuses, naming the flag and the build option.
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(backend.status().message(), ::testing::HasSubstr("--backend cpu"));
  EXPECT_THAT(backend.status().message(), ::testing::HasSubstr("CONVLAT_WITH_ONEDNN=OFF"));
#endif
}

#if CONVLAT_HAVE_ONEDNN
TEST(BackendFactoryTest, AScrubberLargerThanTheMemoryIsRefusedNamingTheFlag) {
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeBackend("cpu", {.scrubber_bytes = int64_t{1} << 50});
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(backend.status().message(), ::testing::HasSubstr("--scrubber_bytes 1125899906842624"));
}
#endif

TEST(BackendFactoryTest, CudnnIsUnavailableWithoutCudaOrWithoutAGpu) {
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeBackend("cudnn");
  if (backend.ok()) GTEST_SKIP() << "this machine has a GPU and the agent was built with cuDNN";
#if CONVLAT_HAVE_CUDNN
  // Built with cuDNN but no usable GPU here: the message says why.
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition) << backend.status();
  EXPECT_THAT(backend.status().message(), ::testing::HasSubstr("GPU"));
#else
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(backend.status().message(), ::testing::HasSubstr("built without CUDA/cuDNN"));
#endif
}

TEST(AlgoSelectionTest, ParsesTheThreeChoices) {
  EXPECT_EQ(*ParseAlgoSelection("heuristic"), AlgoSelection::kHeuristic);
  EXPECT_EQ(*ParseAlgoSelection("exhaustive"), AlgoSelection::kExhaustive);
  EXPECT_EQ(*ParseAlgoSelection("all"), AlgoSelection::kAll);
}

TEST(AlgoSelectionTest, RejectsOthersNamingTheFlag) {
  absl::StatusOr<AlgoSelection> parsed = ParseAlgoSelection("fastest");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), ::testing::HasSubstr("--algo"));
  EXPECT_THAT(parsed.status().message(), ::testing::HasSubstr("fastest"));
}

}  // namespace
}  // namespace convlat::agent
