#include "client/onnx_upload.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/onnx/onnx_import.h"

namespace convlat::client {

absl::StatusOr<std::string> ReadOnnxForQuery(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  absl::StatusOr<std::string> stripped = model::StripOnnxWeights(bytes.str());
  if (!stripped.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", stripped.status().message()));
  return stripped;
}

}  // namespace convlat::client
