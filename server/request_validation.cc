#include "server/request_validation.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::server {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", why));
}

bool FiniteNonNegative(double value) { return std::isfinite(value) && value >= 0; }

absl::Status ValidateMeasurement(const v1::Measurement& m, const std::string& path) {
  if (m.has_op()) {
    if (m.has_params())
      return Invalid(path + ".params", "must be unset when op is set (a measurement is of one layer)");
    if (absl::Status s = model::ValidateOpParams(m.op(), path + ".op"); !s.ok()) return s;
  } else if (absl::Status s = model::ValidateConvParams(m.params(), path + ".params"); !s.ok()) {
    return s;
  }
  const v1::LatencyStats& latency = m.latency();
  if (m.failed()) {
    if (m.failure_reason().empty()) return Invalid(path + ".failure_reason", "is required when failed is set");
    return absl::OkStatus();
  }
  if (!std::isfinite(latency.median_us()) || latency.median_us() <= 0) {
    return Invalid(path + ".latency.median_us", absl::StrCat("must be a positive number, got ", latency.median_us()));
  }
  const std::pair<const char*, double> optional[] = {
      {"min_us", latency.min_us()}, {"p10_us", latency.p10_us()}, {"p90_us", latency.p90_us()}};
  for (const auto& [field, value] : optional) {
    if (!FiniteNonNegative(value)) {
      return Invalid(absl::StrCat(path, ".latency.", field), absl::StrCat("must be >= 0, got ", value));
    }
  }
  if (latency.repetitions() < 0) return Invalid(path + ".latency.repetitions", "must be >= 0");
  if (m.workspace_bytes() < 0) return Invalid(path + ".workspace_bytes", "must be >= 0");
  for (int i = 0; i < m.kernels_size(); ++i) {
    if (!FiniteNonNegative(m.kernels(i).duration_us())) {
      return Invalid(absl::StrCat(path, ".kernels[", i, "].duration_us"), "must be >= 0");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string FieldPath(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

absl::Status ValidatePlatformName(absl::string_view name, absl::string_view field) {
  if (name.empty()) return Invalid(field, "is required");
  if (name.size() > 64) return Invalid(field, absl::StrCat("is longer than 64 characters (", name.size(), ")"));
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Invalid(field, absl::StrCat("'", name, "' may only hold letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePlatform(const v1::Platform& platform) {
  if (absl::Status s = ValidatePlatformName(platform.name(), "platform.name"); !s.ok()) return s;
  if (!v1::PlatformKind_IsValid(platform.kind())) {
    return Invalid("platform.kind", absl::StrCat("is not a known kind: ", platform.kind()));
  }
  if (platform.compute_units() < 0) return Invalid("platform.compute_units", "must be >= 0");
  if (platform.memory_bytes() < 0) return Invalid("platform.memory_bytes", "must be >= 0");
  if (platform.memory_bandwidth_gbps() < 0) {
    return Invalid("platform.memory_bandwidth_gbps",
                   absl::StrCat("must be >= 0, got ", platform.memory_bandwidth_gbps()));
  }
  if (platform.core_clock_mhz() < 0) {
    return Invalid("platform.core_clock_mhz", absl::StrCat("must be >= 0, got ", platform.core_clock_mhz()));
  }
  if (platform.l2_cache_bytes() < 0) return Invalid("platform.l2_cache_bytes", "must be >= 0");
  for (const auto& [layout, kept] : platform.hot_gain_kept()) {
    const std::string field = absl::StrCat("platform.hot_gain_kept[\"", layout, "\"]");
    if (!model::ParseLayout(layout).ok()) return Invalid(field, "is not a layout: nchw, nhwc or native");
    if (!(kept >= 0 && kept <= 1)) return Invalid(field, absl::StrCat("must be within [0, 1], got ", kept));
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const v1::MeasurementBatch& batch) {
  if (batch.batch_id().empty()) return Invalid("batch_id", "is required");
  if (batch.batch_id().size() > kMaxIdLength) {
    return Invalid("batch_id", absl::StrCat("is longer than ", kMaxIdLength, " characters"));
  }
  if (absl::Status s = ValidatePlatformName(batch.platform(), "platform"); !s.ok()) return s;
  if (batch.measurements().empty()) return Invalid("measurements", "must not be empty");
  if (batch.measurements_size() > kMaxMeasurementsPerBatch) {
    return Invalid("measurements", absl::StrCat("has ", batch.measurements_size(), " entries; at most ",
                                                kMaxMeasurementsPerBatch, " per batch"));
  }
  for (int i = 0; i < batch.measurements_size(); ++i) {
    absl::Status s = ValidateMeasurement(batch.measurements(i), absl::StrCat("measurements[", i, "]"));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateLayers(const google::protobuf::RepeatedPtrField<v1::ConvParams>& layers, absl::string_view field) {
  if (layers.empty()) return Invalid(field, "must not be empty");
  if (layers.size() > kMaxLayersPerRequest) {
    return Invalid(field,
                   absl::StrCat("has ", layers.size(), " entries; at most ", kMaxLayersPerRequest, " per request"));
  }
  for (int i = 0; i < layers.size(); ++i) {
    absl::Status s = model::ValidateConvParams(layers[i], absl::StrCat(field, "[", i, "]"));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateOps(const google::protobuf::RepeatedPtrField<v1::OpParams>& ops, absl::string_view field) {
  if (ops.size() > kMaxLayersPerRequest) {
    return Invalid(field, absl::StrCat("has ", ops.size(), " entries; at most ", kMaxLayersPerRequest, " per request"));
  }
  for (int i = 0; i < ops.size(); ++i) {
    if (absl::Status s = model::ValidateOpParams(ops[i], absl::StrCat(field, "[", i, "]")); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace convlat::server
