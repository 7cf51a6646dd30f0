#include "profiler_agent/delivery/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convlat::agent {
namespace {

namespace fs = std::filesystem;
constexpr char kBatchSuffix[] = ".batch";

absl::Status FsyncPath(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path, " to sync it"));
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : absl::DataLossError(absl::StrCat("fsync of ", path, " failed"));
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

absl::StatusOr<Spool> Spool::Open(const std::string& dir) {
  std::error_code error;
  for (const char* sub : {"", "platforms", "rejected"}) {
    fs::create_directories(fs::path(dir) / sub, error);
    if (error) return absl::UnavailableError(absl::StrCat("cannot create spool ", dir, ": ", error.message()));
  }
  return Spool(dir);
}

absl::Status Spool::WriteAtomically(const std::string& path, const std::string& bytes) const {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      return absl::ResourceExhaustedError(absl::StrCat("cannot write ", temporary, " (disk full?)"));
    }
  }
  if (absl::Status s = FsyncPath(temporary, O_RDONLY); !s.ok()) return s;
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", temporary, " to ", path));
  }
  return FsyncPath(fs::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

std::string Spool::NewBatchId(const std::string& agent_id) {
  return absl::StrFormat("%s-%d-%06d", agent_id, NowNanos(), sequence_++);
}

absl::StatusOr<std::string> Spool::Add(const v1::MeasurementBatch& batch) {
  // Names sort by time, so batches are sent in the order they were measured.
  const std::string path =
      (fs::path(dir_) / absl::StrFormat("%020d-%06d%s", NowNanos(), sequence_++, kBatchSuffix)).string();
  if (absl::Status s = WriteAtomically(path, batch.SerializeAsString()); !s.ok()) return s;
  return path;
}

absl::StatusOr<std::vector<std::string>> Spool::Pending() const {
  std::vector<std::string> paths;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error)) {
    if (entry.is_regular_file() && entry.path().extension() == kBatchSuffix) paths.push_back(entry.path().string());
  }
  if (error) return absl::UnavailableError(absl::StrCat("cannot list spool ", dir_, ": ", error.message()));
  std::sort(paths.begin(), paths.end());
  return paths;
}

absl::StatusOr<v1::MeasurementBatch> Spool::Read(const std::string& path) const {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  v1::MeasurementBatch batch;
  if (!batch.ParseFromString(*bytes)) return absl::DataLossError(absl::StrCat("spooled batch ", path, " is corrupt"));
  return batch;
}

absl::Status Spool::Remove(const std::string& path) {
  std::error_code error;
  fs::remove(path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot remove ", path, ": ", error.message()));
  return absl::OkStatus();
}

absl::Status Spool::Reject(const std::string& path, const std::string& reason) {
  const fs::path target = fs::path(dir_) / "rejected" / fs::path(path).filename();
  std::error_code error;
  fs::rename(path, target, error);
  if (error) return absl::InternalError(absl::StrCat("cannot move ", path, " to rejected/: ", error.message()));
  std::ofstream(target.string() + ".reason") << reason << "\n";
  return absl::OkStatus();
}

absl::Status Spool::SavePlatform(const v1::Platform& platform) {
  return WriteAtomically((fs::path(dir_) / "platforms" / (platform.name() + ".pb")).string(),
                         platform.SerializeAsString());
}

absl::StatusOr<std::vector<v1::Platform>> Spool::Platforms() const {
  std::vector<v1::Platform> platforms;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "platforms", error)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".pb") continue;
    absl::StatusOr<std::string> bytes = ReadFile(entry.path().string());
    if (!bytes.ok()) return bytes.status();
    if (!platforms.emplace_back().ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("spooled platform ", entry.path().string(), " is corrupt"));
    }
  }
  if (error) return absl::UnavailableError(absl::StrCat("cannot list spool ", dir_, ": ", error.message()));
  return platforms;
}

}  // namespace convlat::agent
