#include "profiler_agent/import_command.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "model/datasets/justus_dataset.h"
#include "model/datasets/measurements_csv.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

// The measurements of the file, and into `platform` what the file says of its device (nothing
// for the convlat format: the server then keeps any description an agent registered before).
absl::StatusOr<std::vector<v1::Measurement>> ReadImportFile(const ImportOptions& options, v1::Platform& platform) {
  if (options.format == "neusight") {
    absl::StatusOr<model::NeuSightDataset> dataset = model::LoadNeuSightCsv(options.path);
    if (!dataset.ok()) return dataset.status();
    for (v1::Measurement& m : dataset->measurements) m.set_agent_id(options.agent_id);
    platform.MergeFrom(dataset->platform);
    return std::move(dataset->measurements);
  }
  if (options.format == "justus") {
    absl::StatusOr<model::JustusDataset> dataset = model::LoadJustusCsv(options.path);
    if (!dataset.ok()) return dataset.status();
    for (v1::Measurement& m : dataset->measurements) m.set_agent_id(options.agent_id);
    platform.MergeFrom(dataset->platform);
    return std::move(dataset->measurements);
  }
  if (options.format != "convlat") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format must be convlat, neusight or justus, got '", options.format, "'"));
  }
  std::ifstream in(options.path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", options.path));
  return model::ParseMeasurementsCsv(in, options.path, options.agent_id);
}

}  // namespace

int RunImport(Spool& spool, Pusher& pusher, const ImportOptions& options) {
  v1::Platform platform;
  platform.set_name(options.platform);
  absl::StatusOr<std::vector<v1::Measurement>> measurements = ReadImportFile(options, platform);
  if (!measurements.ok()) {
    // A public file imported under the wrong --format fails on a missing column; say which it is.
    const std::string format = model::CsvFormatOfFile(options.path);
    spdlog::error("{}{}", std::string(measurements.status().message()),
                  !format.empty() && format != options.format
                      ? absl::StrCat(" (its header is that of a ", format, " file: --format=", format, ")")
                      : "");
    return 2;
  }
  if (options.format != "convlat" && platform.compute_units() == 0) {
    // The file names its device and nothing more; the table did not know it.
    spdlog::warn(
        "'{}' is not in convlat's GPU table (model/datasets/gpu_specs.cc): unless platform '{}' was described "
        "before this import (convlat-client register-gpu {} --device '{}' --sms N --clock_mhz F --bandwidth_gbps F "
        "--compute_capability X.Y), it has no SM count, so its staircases search their concurrency, and no spec, "
        "so it neither transfers to other GPUs nor gets spec estimates of ops",
        platform.device_name(), options.platform, options.platform, platform.device_name());
  }
  const auto hot = std::count_if(measurements->begin(), measurements->end(),
                                 [](const v1::Measurement& m) { return m.hot_latency().median_us() > 0; });
  if (hot > 0 && options.last_level_cache_bytes <= 0) {
    // A CSV does not say what cache its machine had; without one, networks ignore the hot timings.
    spdlog::warn(
        "{} of {} measurements in {} were also timed hot, but no --last_level_cache_bytes was given: unless "
        "platform '{}' was described before this import (an agent run on its machine reads its cache), the server "
        "knows no last-level cache for it, and network predictions take every layer evicted",
        hot, measurements->size(), options.path, options.platform);
  }
  if (options.last_level_cache_bytes > 0) platform.set_last_level_cache_bytes(options.last_level_cache_bytes);
  if (absl::Status s = spool.SavePlatform(platform); !s.ok()) {
    spdlog::error("{}", s.ToString());
    return 1;
  }
  const size_t batch_size = std::max(1, options.batch_size);
  for (size_t first = 0; first < measurements->size(); first += batch_size) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(spool.NewBatchId(options.agent_id));
    batch.set_platform(options.platform);
    for (size_t i = first; i < std::min(measurements->size(), first + batch_size); ++i) {
      *batch.add_measurements() = (*measurements)[i];
    }
    if (absl::Status s = spool.Add(batch).status(); !s.ok()) {
      spdlog::error("{}", s.ToString());
      return 1;
    }
  }
  spdlog::info("imported {} measurements from {}", measurements->size(), options.path);
  return Deliver(pusher, spool, options.delivery).ok() ? 0 : 1;
}

}  // namespace convlat::agent
