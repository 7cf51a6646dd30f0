#pragma once
// The agent's durable outbox. Every batch is written here before it is sent and removed only
// once the server has acknowledged it, so a server that is away, a crash or a Ctrl-C loses
// nothing. Layout of DIR:
//   <time>-<seq>.batch      pending MeasurementBatch (sent in name order)
//   platforms/<name>.pb     the platform description, registered before its batches are sent
//   rejected/<file>         batches the server refused (invalid, unknown platform, id taken), kept for a person to
//   inspect

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/profiler.pb.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

class Spool {
 public:
  // Creates the directories if needed.
  static absl::StatusOr<Spool> Open(const std::string& dir);

  // Durably stores the batch (temp file, fsync, rename) and returns its path.
  absl::StatusOr<std::string> Add(const v1::MeasurementBatch& batch);
  // Pending batch files, oldest first.
  absl::StatusOr<std::vector<std::string>> Pending() const;
  absl::StatusOr<v1::MeasurementBatch> Read(const std::string& path) const;
  absl::Status Remove(const std::string& path);
  // Moves the batch to rejected/ and writes the reason beside it.
  absl::Status Reject(const std::string& path, const std::string& reason);

  absl::Status SavePlatform(const v1::Platform& platform);
  absl::StatusOr<std::vector<v1::Platform>> Platforms() const;

  // A new batch id: unique across agents (agent id) and runs (time and a sequence number).
  std::string NewBatchId(const std::string& agent_id);
  const std::string& dir() const { return dir_; }

 private:
  explicit Spool(std::string dir) : dir_(std::move(dir)) {}
  // Temp file, fsync, rename, fsync of the directory: the file is either whole or absent.
  absl::Status WriteAtomically(const std::string& path, const std::string& bytes) const;

  std::string dir_;
  int64_t sequence_ = 0;
};

}  // namespace convlat::agent
