#include "profiler_agent/onednn/last_level_cache.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

class LastLevelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("llc_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AddCache(const std::string& index, const std::string& level, const std::string& type, const std::string& size) {
    const std::filesystem::path folder = dir_ / index;
    std::filesystem::create_directories(folder);
    std::ofstream(folder / "level") << level << "\n";
    std::ofstream(folder / "type") << type << "\n";
    std::ofstream(folder / "size") << size << "\n";
  }

  std::filesystem::path dir_;
};

// The layout of the 2-core EPYC VM's sysfs: the L3 is the last level, whatever sysconf says.
TEST_F(LastLevelCacheTest, TheHighestLevelUnifiedOrDataCacheWins) {
  AddCache("index0", "1", "Data", "32K");
  AddCache("index1", "1", "Instruction", "32K");
  AddCache("index2", "2", "Unified", "512K");
  AddCache("index3", "3", "Unified", "32768K");
  EXPECT_EQ(LastLevelCacheFromSysfs(dir_.string()), int64_t{32} << 20);
}

TEST_F(LastLevelCacheTest, InstructionCachesAndUnreadableSizesAreIgnored) {
  AddCache("index0", "1", "Data", "48K");
  AddCache("index1", "2", "Instruction", "4M");
  AddCache("index2", "3", "Unified", "lots");
  EXPECT_EQ(LastLevelCacheFromSysfs(dir_.string()), 48 << 10);
}

TEST_F(LastLevelCacheTest, NoFolderSaysNothing) { EXPECT_EQ(LastLevelCacheFromSysfs((dir_ / "missing").string()), 0); }

TEST(LastLevelCacheOfThisMachineTest, IsKnown) { EXPECT_GT(FindLastLevelCache().bytes, 0); }

TEST(ChooseLastLevelCacheTest, TheUsersSizeWinsOverTheMachines) {
  const LastLevelCache chosen = ChooseLastLevelCache(int64_t{32} << 20);
  EXPECT_EQ(chosen.bytes, int64_t{32} << 20);
  EXPECT_EQ(chosen.source, LastLevelCache::Source::kUser);
  EXPECT_EQ(ChooseLastLevelCache(0).bytes, FindLastLevelCache().bytes);
}

// A Zen 5 VM with no cache folder in its sysfs: glibc's sysconf answered cpuid's 508 MiB, the
// socket's L3, and the user is told so, naming the flag that corrects it.
TEST(LastLevelCacheWarningTest, OnlyASizeFromCpuidIsWarnedAbout) {
  const std::optional<std::string> warning =
      LastLevelCacheWarning({.bytes = int64_t{508} << 20, .source = LastLevelCache::Source::kCpuid});
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("508 MiB"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("--last_level_cache_bytes"), std::string::npos) << *warning;
  EXPECT_FALSE(LastLevelCacheWarning({.bytes = int64_t{32} << 20, .source = LastLevelCache::Source::kSysfs}));
  EXPECT_FALSE(LastLevelCacheWarning({.bytes = int64_t{32} << 20, .source = LastLevelCache::Source::kUser}));
}

}  // namespace
}  // namespace convlat::agent
