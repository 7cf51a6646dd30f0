#include "server/public_data_seeding.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/datasets/public_datasets.h"
#include "server/measurement_ingest.h"
#include "server/platform_registration.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

absl::Status SeedOne(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics,
                     const model::PublicPlatform& entry, const std::string& datasets_dir) {
  absl::StatusOr<model::RecordedPlatform> recorded = model::LoadPublicPlatform(entry, datasets_dir, "public-data");
  if (!recorded.ok()) return recorded.status();
  v1::RegisterPlatformRequest request;
  *request.mutable_platform() = recorded->platform;
  request.set_agent_id("public-data");
  v1::RegisterPlatformResponse response;
  if (absl::Status s = RegisterPlatform(store, request, response); !s.ok()) return s;
  const std::vector<v1::Measurement>& measurements = recorded->measurements;
  for (size_t first = 0, chunk = 0; first < measurements.size(); first += kMaxMeasurementsPerBatch, ++chunk) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(absl::StrCat("public-data:", entry.name, ":", chunk));
    batch.set_platform(std::string(entry.name));
    const size_t end = std::min(measurements.size(), first + kMaxMeasurementsPerBatch);
    for (size_t i = first; i < end; ++i) *batch.add_measurements() = measurements[i];
    const v1::PushAck ack = StoreBatch(store, models, metrics, batch);
    if (ack.code() != 0) {
      return absl::Status(static_cast<absl::StatusCode>(ack.code()),
                          absl::StrCat(entry.name, " (", entry.file, "): ", ack.error()));
    }
  }
  return absl::OkStatus();
}

// Whether the store holds the platform in any state: with measurements, current or not, or
// removed and not yet purged. Seeding leaves those as they are: what an admin retired or removed is
// a decision a restart with the flag on must not undo.
absl::StatusOr<bool> Held(MeasurementStore& store, const std::string& name) {
  absl::StatusOr<MeasurementCounts> counts = store.CountMeasurements(name);
  if (counts.ok()) return counts->current + counts->superseded + counts->retired > 0;
  if (counts.status().code() != absl::StatusCode::kNotFound) return counts.status();
  // Not listed: unknown, or removed; a dry-run purge (which changes nothing) finds removed ones.
  absl::StatusOr<PurgeResult> removed = store.PurgeRetired(name, /*dry_run=*/true);
  if (removed.status().code() == absl::StatusCode::kNotFound) return false;
  if (!removed.ok()) return removed.status();
  return true;
}

}  // namespace

absl::StatusOr<SeedReport> SeedPublicPlatforms(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics,
                                               const std::string& datasets_dir,
                                               const std::vector<std::string>& platforms) {
  std::vector<model::PublicPlatform> wanted;
  if (platforms.empty()) {
    wanted.assign(model::PublicPlatforms().begin(), model::PublicPlatforms().end());
  }
  for (const std::string& name : platforms) {
    absl::StatusOr<model::PublicPlatform> entry = model::FindPublicPlatform(name);
    if (!entry.ok()) return entry.status();
    wanted.push_back(*entry);
  }
  SeedReport report;
  for (const model::PublicPlatform& entry : wanted) {
    const std::string name(entry.name);
    absl::StatusOr<bool> held = Held(store, name);
    if (!held.ok()) return held.status();
    if (*held) {
      report.present.push_back(name);
      continue;
    }
    if (absl::Status s = SeedOne(store, models, metrics, entry, datasets_dir); !s.ok()) return s;
    spdlog::info("seeded platform {} from {}/{}", name, datasets_dir, std::string(entry.file));
    report.seeded.push_back(name);
  }
  return report;
}

}  // namespace convlat::server
