// Turning CUPTI kernel activity records into KernelRecords: no GPU needed, the records are built
// here with names cuDNN kernels really have.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/two_mode/kernel_name.h"
#include "profiler_agent/cudnn/cupti_recorder.h"

namespace convlat::agent {
namespace {

constexpr char kHopperImplicitGemm[] =
    "sm90_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nchw_tilesize128x128x16_stage4_warpsize2x2x1_g1_"
    "tensor16x8x8_execute_kernel__5x_cudnn";
constexpr char kVoltaWinograd[] = "cudnn_infer_volta_scudnn_winograd_128x128_ldg1_ldg4_relu_tile148t_nt_v1";
constexpr char kAmpereSgemm[] = "ampere_sgemm_128x64_nn";
// cuDNN's templated legacy kernel as CUPTI reports it: mangled.
constexpr char kMangledLegacy[] =
    "_ZN5cudnn6detail23implicit_convolve_sgemmIffLi128ELi5ELi5ELi3ELi3ELi3ELi1ELb1ELb0ELb1EEEviiiPKT_iPS2_S4_NS0_"
    "18kernel_conv_paramsEyiffi";

CUpti_ActivityKernel10 CuptiRecord(const char* name) {
  CUpti_ActivityKernel10 record{};
  record.kind = CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
  record.name = name;
  record.gridX = 132;
  record.gridY = 2;
  record.gridZ = 1;
  record.blockX = 128;
  record.blockY = 1;
  record.blockZ = 1;
  record.registersPerThread = 168;
  record.staticSharedMemory = 1024;
  record.dynamicSharedMemory = 98304;
  record.start = 1'000'000;
  record.end = 1'012'500;
  return record;
}

TEST(CuptiRecordTest, CopiesTheLaunchConfigurationAndDuration) {
  const v1::KernelRecord record = ToKernelRecord(KernelActivityFromCupti(CuptiRecord(kHopperImplicitGemm)));
  EXPECT_EQ(record.name(), kHopperImplicitGemm);
  EXPECT_EQ(record.grid().x(), 132u);
  EXPECT_EQ(record.grid().y(), 2u);
  EXPECT_EQ(record.grid().z(), 1u);
  EXPECT_EQ(record.block().x(), 128u);
  EXPECT_EQ(record.block().y(), 1u);
  EXPECT_EQ(record.block().z(), 1u);
  EXPECT_EQ(record.registers_per_thread(), 168);
  EXPECT_EQ(record.static_shared_memory_bytes(), 1024);
  EXPECT_EQ(record.dynamic_shared_memory_bytes(), 98304);
  EXPECT_DOUBLE_EQ(record.duration_us(), 12.5);
}

TEST(CuptiRecordTest, ABrokenTimestampGivesZeroNotAHugeDuration) {
  CUpti_ActivityKernel10 cupti = CuptiRecord(kAmpereSgemm);
  cupti.end = cupti.start - 1;
  EXPECT_EQ(ToKernelRecord(KernelActivityFromCupti(cupti)).duration_us(), 0);
}

TEST(CuptiRecordTest, ARecordWithoutANameGivesAnEmptyName) {
  CUpti_ActivityKernel10 cupti = CuptiRecord(kAmpereSgemm);
  cupti.name = nullptr;
  EXPECT_EQ(KernelActivityFromCupti(cupti).name, "");
}

TEST(CuptiRecordTest, DemanglesCppKernelsAndLeavesExternCNamesAlone) {
  EXPECT_EQ(DemangleKernelName(kAmpereSgemm), kAmpereSgemm);
  EXPECT_EQ(DemangleKernelName(kHopperImplicitGemm), kHopperImplicitGemm);
  EXPECT_THAT(DemangleKernelName(kMangledLegacy),
              ::testing::StartsWith("void cudnn::detail::implicit_convolve_sgemm<float, float, 128, 5, 5, 3, 3, 3, 1, "
                                    "true, false, true>("));
  // Not a valid mangling: kept as it came.
  EXPECT_EQ(DemangleKernelName("_Z_not_really"), "_Z_not_really");
}

struct NamedKernel {
  const char* name;
  model::KernelFamily family;
  int tile_m;
  int tile_n;
};

class RecordedKernelNameTest : public ::testing::TestWithParam<NamedKernel> {};

// What the model reads from a recorded kernel must survive the trip through KernelRecord.
TEST_P(RecordedKernelNameTest, TheModelParsesTheRecordedName) {
  const v1::KernelRecord record = ToKernelRecord(KernelActivityFromCupti(CuptiRecord(GetParam().name)));
  const model::KernelInfo info = model::ParseKernelName(record.name());
  EXPECT_EQ(model::KernelFamilyName(info.family), model::KernelFamilyName(GetParam().family)) << record.name();
  EXPECT_EQ(info.tile_m, GetParam().tile_m) << record.name();
  EXPECT_EQ(info.tile_n, GetParam().tile_n) << record.name();
}

INSTANTIATE_TEST_SUITE_P(CudnnKernels, RecordedKernelNameTest,
                         ::testing::Values(NamedKernel{kHopperImplicitGemm, model::KernelFamily::kImplicitGemm, 128,
                                                       128},
                                           NamedKernel{kVoltaWinograd, model::KernelFamily::kWinograd, 128, 128},
                                           NamedKernel{kAmpereSgemm, model::KernelFamily::kGemm, 128, 64},
                                           NamedKernel{kMangledLegacy, model::KernelFamily::kLegacy, 0, 0}));

}  // namespace
}  // namespace convlat::agent
