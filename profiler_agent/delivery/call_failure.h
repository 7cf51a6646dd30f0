#pragma once
// What a failed call to the server means for the agent. A refused token and an unreachable server
// both leave measurements in the spool, but they need different people to do different things:
// a refused token is a configuration mistake that no retry can fix, an unreachable server is
// usually gone for a while and retrying (or flushing later) is the cure.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/common.h"

namespace convlat::agent {

enum class CallFailure {
  kTokenRefused,  // UNAUTHENTICATED or PERMISSION_DENIED: the server is there and says no
  kUnreachable,   // UNAVAILABLE or DEADLINE_EXCEEDED: no answer in time
  kOther,         // anything else the server (or the spool) reported
};

CallFailure ClassifyCallFailure(const absl::Status& status);

// True when retrying the call cannot help until a person changes the agent's configuration.
inline bool IsTokenRefused(const absl::Status& status) {
  return !status.ok() && ClassifyCallFailure(status) == CallFailure::kTokenRefused;
}

// How loudly to log a failed call that the agent works around (measuring anyway, keeping the
// spool): a refused token is a mistake a person must fix, an error; anything else a warning.
inline spdlog::level::level_enum CallFailureLogLevel(const absl::Status& status) {
  return IsTokenRefused(status) ? spdlog::level::err : spdlog::level::warn;
}

// One plain sentence for the log, naming the server at `server` (host:port; empty: "the server"):
//   the server at ADDR refused this agent's token (UNAUTHENTICATED: ...): check --token_file
//     against the server's --agent_token_file
//   server at ADDR unreachable (UNAVAILABLE: ...)
//   talking to the server at ADDR failed (INTERNAL: ...)
std::string DescribeCallFailure(const absl::Status& status, absl::string_view server);

}  // namespace convlat::agent
