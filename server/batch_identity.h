#pragma once
// What makes a batch sent again the same batch. A batch id is the agent's idempotency key: a
// resend after a lost ack must be acknowledged and stored once. But an id reused for other
// measurements, or for another platform, is not a resend: taking it as one would drop those
// measurements without a word, so the stores refuse it instead (ALREADY_EXISTS).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "convlat/v1/profiler.pb.h"

namespace convlat::server {

// SHA-256, in lowercase hex, of the batch's measurements in their order (the id and platform are
// kept apart so a refusal can say which of them differs). Each measurement counts as its
// deterministic protobuf serialization, prefixed with its length so that no two lists of
// measurements share a digest by where one record ends. Measurement has no map fields, so these
// bytes are the same in every build that knows the same fields; a resend carrying a field this
// server learned between the first send and the resend would count as other content.
std::string BatchContentDigest(const v1::MeasurementBatch& batch);

// What a store holds under a batch id.
struct StoredBatch {
  std::string platform;
  int64_t measurement_count = 0;
  // Absent for batches stored before the stores recorded digests (SQLite schema v3, PostgreSQL
  // v2): their content cannot be compared, so a resend to the same platform counts as a duplicate,
  // as it always did.
  std::optional<std::string> content_digest;
};

// OK when `batch`, whose content digest is `digest`, is the stored batch sent again (the caller
// acknowledges it as a duplicate and writes nothing). Otherwise ALREADY_EXISTS naming the id and
// what differs: the platform, the measurements, or both.
absl::Status CheckResend(const StoredBatch& stored, const v1::MeasurementBatch& batch, const std::string& digest);

}  // namespace convlat::server
