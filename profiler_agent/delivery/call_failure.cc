#include "profiler_agent/delivery/call_failure.h"

#include "absl/strings/str_cat.h"

namespace convlat::agent {

CallFailure ClassifyCallFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied: return CallFailure::kTokenRefused;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return CallFailure::kUnreachable;
    default: return CallFailure::kOther;
  }
}

std::string DescribeCallFailure(const absl::Status& status, absl::string_view server) {
  const std::string at = server.empty() ? "" : absl::StrCat(" at ", server);
  const std::string reason = absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
  switch (ClassifyCallFailure(status)) {
    case CallFailure::kTokenRefused:
      return absl::StrCat("the server", at, " refused this agent's token (", reason,
                          "): check --token_file against the server's --agent_token_file");
    case CallFailure::kUnreachable: return absl::StrCat("server", at, " unreachable (", reason, ")");
    case CallFailure::kOther: break;
  }
  return absl::StrCat("talking to the server", at, " failed (", reason, ")");
}

}  // namespace convlat::agent
