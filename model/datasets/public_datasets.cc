#include "model/datasets/public_datasets.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "model/datasets/justus_dataset.h"
#include "model/datasets/neusight_dataset.h"

namespace convlat::model {
namespace {

// The Justus platforms carry "-justus": timed through TensorFlow, overhead and epilogue included,
// they are not the cuDNN-only figures of the NeuSight platforms (gpu-v100 is the same chip).
constexpr PublicPlatform kPublicPlatforms[] = {
    {"gpu-t4", "neusight-conv3x3/Tesla_T4.csv", PublicFormat::kNeuSight},
    {"gpu-v100", "neusight-conv3x3/Tesla_V100-PCIE-32GB.csv", PublicFormat::kNeuSight},
    {"gpu-a100", "neusight-conv3x3/NVIDIA_A100_80GB_PCIe.csv", PublicFormat::kNeuSight},
    {"gpu-k40-justus", "justus-conv/Tesla_K40.csv", PublicFormat::kJustus},
    {"gpu-k80-justus", "justus-conv/Tesla_K80.csv", PublicFormat::kJustus},
    {"gpu-m60-justus", "justus-conv/Tesla_M60.csv", PublicFormat::kJustus},
    {"gpu-1080ti-justus", "justus-conv/GTX_1080_Ti.csv", PublicFormat::kJustus},
    {"gpu-v100-justus", "justus-conv/Tesla_V100.csv", PublicFormat::kJustus},
};

}  // namespace

absl::Span<const PublicPlatform> PublicPlatforms() { return kPublicPlatforms; }

absl::StatusOr<PublicPlatform> FindPublicPlatform(absl::string_view name) {
  for (const PublicPlatform& entry : kPublicPlatforms) {
    if (entry.name == name) return entry;
  }
  return absl::NotFoundError(
      absl::StrCat("'", name, "' is not a public platform; known: ",
                   absl::StrJoin(kPublicPlatforms, ", ",
                                 [](std::string* out, const PublicPlatform& p) { absl::StrAppend(out, p.name); })));
}

absl::StatusOr<std::vector<GpuDatasetFile>> FindGpuDatasetFiles(const std::string& datasets_dir) {
  std::vector<std::pair<size_t, GpuDatasetFile>> shipped;  // with its place in kPublicPlatforms
  std::vector<GpuDatasetFile> added;
  for (const auto& [folder, format] :
       {std::pair{"neusight-conv3x3", PublicFormat::kNeuSight}, std::pair{"justus-conv", PublicFormat::kJustus}}) {
    std::error_code error;
    std::vector<std::string> names;
    for (const auto& item : std::filesystem::directory_iterator(std::filesystem::path(datasets_dir) / folder, error)) {
      if (item.path().extension() == ".csv") names.push_back(item.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string file = absl::StrCat(folder, "/", name);
      const auto known = std::find_if(std::begin(kPublicPlatforms), std::end(kPublicPlatforms),
                                      [&file](const PublicPlatform& p) { return p.file == file; });
      if (known != std::end(kPublicPlatforms)) {
        shipped.push_back(
            {static_cast<size_t>(known - std::begin(kPublicPlatforms)), {std::string(known->name), file, format}});
        continue;
      }
      const std::string stem = absl::StrReplaceAll(absl::AsciiStrToLower(std::filesystem::path(name).stem().string()),
                                                   {{"_", "-"}, {" ", "-"}});
      added.push_back({absl::StrCat("gpu-", stem, format == PublicFormat::kJustus ? "-justus" : ""), file, format});
    }
  }
  std::sort(shipped.begin(), shipped.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<GpuDatasetFile> files;
  for (auto& [place, file] : shipped) files.push_back(std::move(file));
  files.insert(files.end(), added.begin(), added.end());
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("no GPU measurements under ", datasets_dir,
                                            ": expected CSV files in its neusight-conv3x3/ or justus-conv/ folder, as "
                                            "in data/public"));
  }
  return files;
}

absl::StatusOr<RecordedPlatform> LoadPublicPlatform(const PublicPlatform& entry, const std::string& datasets_dir,
                                                    const std::string& agent_id) {
  const std::string path = absl::StrCat(datasets_dir, "/", entry.file);
  RecordedPlatform recorded;
  if (entry.format == PublicFormat::kNeuSight) {
    absl::StatusOr<NeuSightDataset> dataset = LoadNeuSightCsv(path);
    if (!dataset.ok()) return dataset.status();
    recorded.platform = std::move(dataset->platform);
    recorded.measurements = std::move(dataset->measurements);
  } else {
    absl::StatusOr<JustusDataset> dataset = LoadJustusCsv(path);
    if (!dataset.ok()) return dataset.status();
    recorded.platform = std::move(dataset->platform);
    recorded.measurements = std::move(dataset->measurements);
  }
  recorded.platform.set_name(std::string(entry.name));
  for (v1::Measurement& m : recorded.measurements) m.set_agent_id(agent_id);
  return recorded;
}

std::string CsvFormatOfFile(const std::string& path) {
  std::ifstream in(path);
  std::string header;
  if (!in || !std::getline(in, header)) return "";
  if (absl::StrContains(header, "time_ms_median") && absl::StrContains(header, "padding_tf")) return "justus";
  if (absl::StrContains(header, "OPName") && absl::StrContains(header, "Kernel Name")) return "neusight";
  if (absl::StrContains(header, "median_us")) return "convlat";
  return "";
}

std::string DatasetsDir(const std::string& fallback) {
  const char* from_env = std::getenv("CONVLAT_DATASETS");
  return from_env != nullptr && *from_env != '\0' ? from_env : fallback;
}

}  // namespace convlat::model
