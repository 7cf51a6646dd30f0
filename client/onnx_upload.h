#pragma once
// What `convlat-client query NET.onnx` sends: the model's graph and shapes, without its weights.

#include <string>

#include "absl/status/statusor.h"

namespace convlat::client {

// The ONNX file at `path` with its float initializers' data stripped as it is read (only shapes
// matter to the server, and a ResNet-50's 100 MB of weights would exceed the message limit). The
// error names the file and why it could not be read ("No such file or directory") or parsed.
absl::StatusOr<std::string> ReadOnnxForQuery(const std::string& path);

}  // namespace convlat::client
