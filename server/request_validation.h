#pragma once
// Checks of incoming requests. Each error is INVALID_ARGUMENT and names the offending field,
// so a client can fix its request without reading server logs.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/latency.pb.h"
#include "convlat/v1/profiler.pb.h"

namespace convlat::server {

// Limits that keep one request from exhausting the server.
inline constexpr int kMaxLayersPerRequest = 100000;
inline constexpr int kMaxMeasurementsPerBatch = 10000;
inline constexpr size_t kMaxIdLength = 128;
// An ONNX model in a network query: only its graph and shapes are read, so one this large still
// carries its weights (ResNet-50's graph alone is under 0.2 MB).
inline constexpr int64_t kMaxOnnxModelBytes = int64_t{64} << 20;

// The field `name` of a message found at `path` in the request ("" for the request itself):
// "batch", or "networks[2].batch". Errors name fields this way, however deep the message sits.
std::string FieldPath(absl::string_view path, absl::string_view name);

// 1 to 64 characters of letters, digits, '.', '_' and '-': platform names appear in metric
// labels, file names and URLs.
absl::Status ValidatePlatformName(absl::string_view name, absl::string_view field);
absl::Status ValidatePlatform(const v1::Platform& platform);
absl::Status ValidateBatch(const v1::MeasurementBatch& batch);
absl::Status ValidateLayers(const google::protobuf::RepeatedPtrField<v1::ConvParams>& layers, absl::string_view field);
// Other ops (may be empty).
absl::Status ValidateOps(const google::protobuf::RepeatedPtrField<v1::OpParams>& ops, absl::string_view field);

}  // namespace convlat::server
