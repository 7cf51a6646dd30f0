#include "common/status_bridge.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace convlat {

std::string CappedStatusMessage(absl::string_view message) {
  if (message.size() <= kMaxStatusMessageBytes) return std::string(message);
  const std::string suffix = absl::StrCat("... (", message.size(), " bytes)");
  size_t keep = kMaxStatusMessageBytes - suffix.size();
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is cut in half.
  while (keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80) --keep;
  return absl::StrCat(message.substr(0, keep), suffix);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), CappedStatusMessage(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view call) {
  if (status.ok()) return absl::OkStatus();
  const std::string& message = status.error_message();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      call.empty() ? message : absl::StrCat(call, ": ", message));
}

}  // namespace convlat
