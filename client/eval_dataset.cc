#include "client/eval_dataset.h"

#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/eval_flags.h"
#include "model/datasets/justus_dataset.h"
#include "model/datasets/measurements_csv.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "server/measurement_store.h"

namespace convlat::client {

namespace {

// `status` of reading `path` with the flag for format `used`, plus the flag that reads it where its
// header is another format's: a public file given to the other reader fails on a missing column.
absl::Status WithFormatHint(const absl::Status& status, const std::string& path, const std::string& used) {
  const std::string format = model::CsvFormatOfFile(path);
  if (format.empty() || format == used) return status;
  const std::string flag = format == "convlat" ? "csv" : format;
  return absl::Status(status.code(), absl::StrCat(status.message(), " (its header is that of a ", format, " file: --",
                                                  flag, " ", path, ")"));
}

absl::StatusOr<EvalDataset> LoadFromFlags() {
  const std::string neusight = absl::GetFlag(FLAGS_neusight), justus = absl::GetFlag(FLAGS_justus),
                    csv = absl::GetFlag(FLAGS_csv), db = absl::GetFlag(FLAGS_db);
  if (neusight.empty() + justus.empty() + csv.empty() + db.empty() != 3) {
    return absl::InvalidArgumentError("give exactly one of --neusight, --justus, --csv or --db");
  }
  if (!justus.empty()) {
    absl::StatusOr<model::JustusDataset> data = model::LoadJustusCsv(justus);
    if (!data.ok()) return WithFormatHint(data.status(), justus, "justus");
    return EvalDataset{data->device, model::SamplesFromMeasurements(data->measurements),
                       model::HardwareOf(data->platform)};
  }
  if (!neusight.empty()) {
    absl::StatusOr<model::NeuSightDataset> data = model::LoadNeuSightCsv(neusight);
    if (!data.ok()) return WithFormatHint(data.status(), neusight, "neusight");
    return EvalDataset{data->device, model::SamplesFromMeasurements(data->measurements),
                       model::HardwareOf(data->platform)};
  }
  if (!csv.empty()) {
    std::vector<v1::Measurement> measurements;
    for (absl::string_view path : absl::StrSplit(csv, ',', absl::SkipEmpty())) {
      std::ifstream in{std::string(path)};
      if (!in) return absl::NotFoundError(absl::StrCat("--csv: cannot open ", path));
      absl::StatusOr<std::vector<v1::Measurement>> rows =
          model::ParseMeasurementsCsv(in, std::string(path), "convlat-eval");
      if (!rows.ok()) return WithFormatHint(rows.status(), std::string(path), "convlat");
      measurements.insert(measurements.end(), rows->begin(), rows->end());
    }
    const std::string name = absl::GetFlag(FLAGS_platform).empty() ? csv : absl::GetFlag(FLAGS_platform);
    return EvalDataset{name, model::SamplesFromMeasurements(measurements),
                       model::HardwareInfo{.compute_units = absl::GetFlag(FLAGS_compute_units)},
                       model::OpSamplesFromMeasurements(measurements)};
  }
  const std::string platform = absl::GetFlag(FLAGS_platform);
  if (platform.empty()) return absl::InvalidArgumentError("--db needs --platform");
  absl::StatusOr<std::unique_ptr<server::MeasurementStore>> store = server::OpenMeasurementStore(db);
  if (!store.ok()) return store.status();
  absl::StatusOr<v1::Platform> info = (*store)->GetPlatform(platform);
  if (!info.ok()) return info.status();
  absl::StatusOr<std::vector<v1::Measurement>> measurements = (*store)->LoadMeasurements(platform);
  if (!measurements.ok()) return measurements.status();
  return EvalDataset{platform + " (" + info->device_name() + ")", model::SamplesFromMeasurements(*measurements),
                     model::HardwareOf(*info), model::OpSamplesFromMeasurements(*measurements)};
}

}  // namespace

absl::StatusOr<EvalDataset> LoadEvalDataset() {
  const int units = absl::GetFlag(FLAGS_compute_units);
  if (units < 0) return absl::InvalidArgumentError(absl::StrCat("--compute_units must be >= 0, got ", units));
  absl::StatusOr<EvalDataset> data = LoadFromFlags();
  if (!data.ok()) return data;
  // Given, it wins over what the file's device name says (a GPU the table lacks, a capped part).
  if (units > 0) data->hardware.compute_units = units;
  return data;
}

}  // namespace convlat::client
