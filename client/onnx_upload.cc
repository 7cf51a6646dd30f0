#include "client/onnx_upload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "model/onnx/weight_stripping.h"

namespace convlat::client {

absl::StatusOr<std::string> ReadOnnxForQuery(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  google::protobuf::io::FileInputStream file(fd);
  file.SetCloseOnDelete(true);
  struct stat info {};
  if (fstat(fd, &info) != 0) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  // Streamed: the weights are skipped as the file goes past (seeked over), never read into memory.
  absl::StatusOr<std::string> stripped = model::StripOnnxWeights(file);
  if (file.GetErrno() != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(file.GetErrno())));
  }
  if (!stripped.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", stripped.status().message()));
  // A seek past the end succeeds, so a file cut inside its weights walks to the end unnoticed: its
  // fields claimed more bytes than it has.
  if (file.ByteCount() > static_cast<int64_t>(info.st_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": truncated: its fields claim ", file.ByteCount(), " bytes, the file has ", info.st_size));
  }
  return stripped;
}

}  // namespace convlat::client
