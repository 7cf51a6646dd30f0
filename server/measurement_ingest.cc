#include "server/measurement_ingest.h"

#include <string>

#include "common/status_bridge.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace convlat::server {

v1::PushAck StoreBatch(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics,
                       const v1::MeasurementBatch& batch) {
  v1::PushAck ack;
  ack.set_batch_id(batch.batch_id());
  absl::Status status = ValidateBatch(batch);
  if (status.ok()) {
    absl::StatusOr<InsertBatchResult> result = store.InsertBatch(batch);
    if (result.ok()) {
      ack.set_stored(result->stored);
      ack.set_duplicate(result->duplicate);
      if (result->stored > 0) {
        metrics.AddIngested(batch.platform(), result->stored);
        models.RequestRefit(batch.platform());
      }
    }
    status = result.status();
  }
  if (!status.ok()) {
    spdlog::warn("batch '{}' for platform '{}' not stored: {}", batch.batch_id(), batch.platform(), status.ToString());
    ack.set_code(static_cast<int>(status.code()));
    ack.set_error(CappedStatusMessage(status.message()));
  }
  return ack;
}

}  // namespace convlat::server
