#pragma once
// The public measurement sets shipped in data/public/ and the platforms made of them: which
// file becomes which platform, read into the platform's description and measurements.
// `convlat-server --seed_public_data` and the tests use this one list (data/public/README.md).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

enum class PublicFormat { kNeuSight, kJustus };

struct PublicPlatform {
  absl::string_view name;  // the platform's name on a seeded server, e.g. "gpu-t4"
  absl::string_view file;  // under the datasets directory, e.g. "neusight-conv3x3/Tesla_T4.csv"
  PublicFormat format;
};

// gpu-t4, gpu-v100, gpu-a100 (NeuSight), then the five Justus GPUs.
absl::Span<const PublicPlatform> PublicPlatforms();

// The entry named `name`; NOT_FOUND listing the known names otherwise.
absl::StatusOr<PublicPlatform> FindPublicPlatform(absl::string_view name);

struct RecordedPlatform {
  v1::Platform platform;  // named, and described from the file and the GPU spec table
  std::vector<v1::Measurement> measurements;
};

// A GPU file found under a datasets directory: the shipped ones and any a user adds.
struct GpuDatasetFile {
  std::string name;  // the platform's name: a shipped file's public one, else gpu-<stem>[-justus]
  std::string file;  // under the datasets directory
  PublicFormat format;
  PublicPlatform entry() const { return {name, file, format}; }
};

// Every GPU file under `datasets_dir` laid out like data/public: neusight-conv3x3/*.csv in the
// NeuSight format, justus-conv/*.csv in Justus's. The shipped files first, in PublicPlatforms()'s
// order and under their names; then any other, sorted, as "gpu-" + its file name's stem in lower
// case with '_' as '-' (+ "-justus" for a Justus file): Tesla_P100.csv in justus-conv is
// gpu-tesla-p100-justus. NOT_FOUND when the directory holds none.
absl::StatusOr<std::vector<GpuDatasetFile>> FindGpuDatasetFiles(const std::string& datasets_dir);

// Reads `entry`'s file under `datasets_dir`; every measurement gets `agent_id`.
absl::StatusOr<RecordedPlatform> LoadPublicPlatform(const PublicPlatform& entry, const std::string& datasets_dir,
                                                    const std::string& agent_id);

// Which format a CSV is in, by columns only that format has: "justus", "neusight" or "convlat"
// (convlat's measurement CSV); empty when the first line is none of them or the file cannot be
// read. A public file read as the wrong one fails on a missing column; the tools then name the
// flag that reads it instead of leaving the user to compare headers.
std::string CsvFormatOfFile(const std::string& path);

// Where the public datasets are: $CONVLAT_DATASETS if set, else `fallback` (the tests pass
// their source tree's data/public).
std::string DatasetsDir(const std::string& fallback);

}  // namespace convlat::model
