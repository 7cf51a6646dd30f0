#pragma once
// The one bridge between absl::Status (what convlat's libraries return) and grpc::Status (what
// crosses the wire), in both directions. The canonical codes share their numbers. Messages sent to
// clients are capped, as TensorFlow Serving does, so a library error quoting a huge input cannot
// blow up a response or a log line on the other side.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace convlat {

// Longest message, in bytes, that ToGrpcStatus sends; longer ones are cut at a UTF-8 character
// boundary and end in "... (N bytes)" with N the whole message's length.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// A server's answer: the same code, the message capped at kMaxStatusMessageBytes.
grpc::Status ToGrpcStatus(const absl::Status& status);

// An error message that travels inside a response (a batch's ack, one network's result of many),
// capped as ToGrpcStatus caps the call's own.
std::string CappedStatusMessage(absl::string_view message);

// What a client got back, as a Status of the same code whose message says which call failed
// ("GetSweepPlan: ..."); `call` may be empty.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view call = "");

}  // namespace convlat
