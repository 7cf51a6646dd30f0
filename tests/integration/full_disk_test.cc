// A full disk seen end to end: the real server keeps its store on a small tmpfs, mounted in a
// mount namespace of the server's own (unshare, so no privileges are needed where user
// namespaces are allowed), which a filler file fills. The agent's batches get RESOURCE_EXHAUSTED
// acks, stay in its spool (not in rejected/: nothing is wrong with them) and, once the filler is
// deleted, as an operator freeing space would, are stored once.
//
// A real full file system, not a file-size limit (RLIMIT_FSIZE, as tests/store does): under a
// limit SQLite retries the rest of a cut-short write, which then fails with EFBIG, an I/O error
// (UNAVAILABLE), where a full disk gives ENOSPC and SQLITE_FULL (RESOURCE_EXHAUSTED).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FullDiskTest : public ConvlatProcessesTest {
 protected:
  void SetUp() override {
    ConvlatProcessesTest::SetUp();
    store_ = dir_ / "store";
    fs::create_directories(store_);
    // `unshare` runs the rest in new user and mount namespaces, where the shell mounts a 2 MiB
    // tmpfs on store_ and then becomes the server: one process id throughout.
    const std::vector<std::string> launcher = {
        "/usr/bin/env", "unshare", "-Urm", "/bin/sh", "-c", "mount -t tmpfs -o size=2m tmpfs \"$0\" && exec \"$@\"",
        store_.string()};
    std::vector<std::string> probe = launcher;
    probe.push_back("/bin/true");
    if (const ProcessResult mounted = RunProcess(probe); mounted.exit_code != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs in a namespace of the test's own here (unshare -Urm): " << mounted.output;
    }
    server_launcher_ = launcher;
    db_ = store_ / "convlat.db";
  }

  // The store's folder as the server sees it, in its mount namespace.
  fs::path ServerStore() const {
    return fs::path("/proc") / std::to_string(server_->pid()) / "root" / store_.relative_path();
  }
  // Fills the server's tmpfs but for `room` bytes.
  void FillStoreLeaving(uintmax_t room) {
    const uintmax_t available = fs::space(ServerStore()).available;
    ASSERT_GT(available, room);
    std::ofstream filler(ServerStore() / "filler", std::ios::binary);
    const std::string chunk(4096, '\0');
    for (uintmax_t left = available - room; left > 0; left -= std::min<uintmax_t>(left, chunk.size())) {
      filler.write(chunk.data(), static_cast<std::streamsize>(std::min<uintmax_t>(left, chunk.size())));
    }
    ASSERT_TRUE(filler.flush()) << "could not write the filler";
  }

  fs::path store_;
};

TEST_F(FullDiskTest, RefusedBatchesStayInTheSpoolOutOfRejectedAndAreStoredOnceWhenSpaceIsBack) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Room for a few 4 KiB pages: the platform's registration fits, the batches soon do not.
  ASSERT_NO_FATAL_FAILURE(FillStoreLeaving(6 * 4096));

  const std::string csv = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/staircase.csv";
  const int rows = CsvRows(csv);
  const ProcessResult full = Agent({"import", "--platform=box", "--batch_size=20", "--push_timeout=2", csv});
  EXPECT_NE(full.exit_code, 0) << full.output;
  EXPECT_THAT(full.output, HasSubstr("RESOURCE_EXHAUSTED: server could not store batch"));
  EXPECT_GT(PendingBatches(), 0);
  EXPECT_EQ(RejectedFiles(), 0) << "a full disk is no fault of the batch";
  EXPECT_LT(StoredMeasurements("box"), rows) << "the full disk did not stop the store from growing";

  fs::remove(ServerStore() / "filler");
  const ProcessResult flushed = Agent({"flush"});
  ASSERT_EQ(flushed.exit_code, 0) << flushed.output;
  EXPECT_EQ(PendingBatches(), 0);
  EXPECT_EQ(RejectedFiles(), 0);
  EXPECT_EQ(StoredMeasurements("box"), rows) << "each measurement of the file stored exactly once";
}

}  // namespace
}  // namespace convlat::testing
