#pragma once
// Secrets (the agent token) are read from files, never from command lines that other users can
// read in `ps`. Shared by the server and the agent.

#include <string>

#include "absl/status/statusor.h"

namespace convlat {

// The file's content without surrounding whitespace; NOT_FOUND, or INVALID_ARGUMENT for an empty
// file, naming `flag`.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, const std::string& flag);

}  // namespace convlat
