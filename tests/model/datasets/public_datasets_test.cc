// The platforms made of data/public/: every one reads, is named and described.
#include "model/datasets/public_datasets.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/gpu_specs.h"

namespace convlat::model {
namespace {

TEST(PublicDatasetsTest, EveryPlatformReadsWithADescribedGpu) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  ASSERT_EQ(PublicPlatforms().size(), 8u);
  for (const PublicPlatform& entry : PublicPlatforms()) {
    absl::StatusOr<RecordedPlatform> recorded = LoadPublicPlatform(entry, dir, "seed");
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    const v1::Platform& platform = recorded->platform;
    EXPECT_EQ(platform.name(), entry.name);
    EXPECT_EQ(platform.kind(), v1::PLATFORM_KIND_GPU);
    EXPECT_GT(platform.compute_units(), 0) << entry.name;
    EXPECT_GT(platform.core_clock_mhz(), 0) << entry.name;
    EXPECT_GT(platform.memory_bytes(), 0) << entry.name;
    EXPECT_GT(platform.memory_bandwidth_gbps(), 0) << entry.name;
    EXPECT_GT(platform.l2_cache_bytes(), 0) << entry.name;
    EXPECT_FALSE(platform.compute_capability().empty()) << entry.name;
    EXPECT_GT(recorded->measurements.size(), 4000u) << entry.name;
    EXPECT_EQ(recorded->measurements.front().agent_id(), "seed");
  }
}

TEST(PublicDatasetsTest, AnUnknownNameListsTheKnownOnes) {
  EXPECT_TRUE(FindPublicPlatform("gpu-t4").ok());
  const absl::Status unknown = FindPublicPlatform("gpu-t5").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), ::testing::HasSubstr("gpu-t4, gpu-v100, gpu-a100, gpu-k40-justus"));
}

// convlat-eval --transfer --datasets DIR: the shipped files under their names, in their order,
// then the files a user added, named after their file; nothing found is NOT_FOUND.
TEST(PublicDatasetsTest, FindsTheShippedFilesAndTheOnesAUserAdds) {
  const std::string shipped = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  absl::StatusOr<std::vector<GpuDatasetFile>> files = FindGpuDatasetFiles(shipped);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), PublicPlatforms().size());
  for (size_t i = 0; i < files->size(); ++i) EXPECT_EQ((*files)[i].name, PublicPlatforms()[i].name);

  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "datasets-added";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "justus-conv");
  std::filesystem::create_directories(dir / "neusight-conv3x3");
  std::filesystem::copy_file(std::filesystem::path(shipped) / "justus-conv/Tesla_K80.csv",
                             dir / "justus-conv/Tesla_K80.csv");
  std::ofstream(dir / "justus-conv/Tesla_P100.csv") << "batch\n";
  std::ofstream(dir / "neusight-conv3x3/NVIDIA_L4.csv") << "OPName\n";
  std::ofstream(dir / "neusight-conv3x3/notes.txt") << "not a dataset\n";
  files = FindGpuDatasetFiles(dir.string());
  ASSERT_TRUE(files.ok()) << files.status();
  std::vector<std::string> names;
  for (const GpuDatasetFile& f : *files) names.push_back(f.name);
  EXPECT_THAT(names, ::testing::ElementsAre("gpu-k80-justus", "gpu-nvidia-l4", "gpu-tesla-p100-justus"));
  EXPECT_EQ(files->back().format, PublicFormat::kJustus);
  EXPECT_EQ(files->back().file, "justus-conv/Tesla_P100.csv");

  const absl::Status none = FindGpuDatasetFiles((dir / "nothing").string()).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.message(), ::testing::HasSubstr("neusight-conv3x3/ or justus-conv/"));
}

// A file's format is told by its header: the shipped public files, a convlat sweep, and nothing
// for any other CSV or a missing file.
TEST(PublicDatasetsTest, TellsACsvFormatByItsHeader) {
  const std::string data = std::string(CONVLAT_SOURCE_DIR) + "/data/";
  EXPECT_EQ(CsvFormatOfFile(data + "public/justus-conv/Tesla_K40.csv"), "justus");
  EXPECT_EQ(CsvFormatOfFile(data + "public/neusight-conv3x3/Tesla_T4.csv"), "neusight");
  EXPECT_EQ(CsvFormatOfFile(data + "measurements/cpu-epyc-2core/default-sweep.csv"), "convlat");
  EXPECT_EQ(CsvFormatOfFile("/nonexistent/file.csv"), "");
  const std::string other = ::testing::TempDir() + "/other.csv";
  std::ofstream(other) << "name,value\nx,1\n";
  EXPECT_EQ(CsvFormatOfFile(other), "");
}

// The table tells the two V100 boards apart and describes the dual-GPU boards per GPU.
TEST(GpuSpecsTest, MostSpecificNameWins) {
  ASSERT_NE(FindGpuSpec("Tesla V100-PCIE-32GB"), nullptr);
  EXPECT_EQ(FindGpuSpec("Tesla V100-PCIE-32GB")->memory_bytes, int64_t{32} << 30);
  EXPECT_EQ(FindGpuSpec("Tesla V100")->memory_bytes, int64_t{16} << 30);
  EXPECT_EQ(FindGpuSpec("NVIDIA A100 80GB PCIe")->memory_bandwidth_gbps, 1935);
  EXPECT_EQ(KnownStreamingMultiprocessors("Tesla K80"), 13);
  EXPECT_EQ(KnownStreamingMultiprocessors("H100 PCIe"), 114);
  EXPECT_EQ(FindGpuSpec("Radeon VII"), nullptr);
  v1::Platform described;
  described.set_device_name("Tesla M60");
  described.set_compute_units(7);  // what the caller knows is kept
  FillFromGpuSpecTable(described);
  EXPECT_EQ(described.compute_units(), 7);
  EXPECT_EQ(described.compute_capability(), "5.2");
}

}  // namespace
}  // namespace convlat::model
