// Re-profiling and the admin commands with the real binaries: convlat-agent --remeasure measures a
// platform's configurations again and the new measurements supersede the old (kept as history,
// the model fitted on the new); convlat-client retire / purge / remove-platform change nothing
// without --yes, nothing without the agent token (UNAUTHENTICATED), nothing for an unknown
// platform (NOT_FOUND), and with both exactly what they say.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class AdminTest : public ConvlatProcessesTest {
 protected:
  void SetUp() override {
    ConvlatProcessesTest::SetUp();
    token_ = (dir_ / "agent.token").string();
    std::ofstream(token_) << "correct-horse-battery\n";
    StartServer({"--agent_token_file=" + token_});
  }

  ProcessResult Sweep(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {"--platform=ci-cpu", "--backend=cpu", "--sweep=" + (dir_ / "sweep.txt").string(),
                                     "--token_file=" + token_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return Agent(argv);
  }

  // `platforms --format=json` as one string: the counts of ci-cpu are in it ("superseded_count": "5").
  std::string Listing() const { return Client({"platforms", "--format=json"}).output; }

  std::string token_;
};

TEST_F(AdminTest, RemeasuredConfigsSupersedeTheOldAndAdminCommandsRetireAndPurgeThem) {
  ProcessResult first = Sweep();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_THAT(WaitForModel("ci-cpu"), HasSubstr(",5,ready"));

  // Again with --remeasure: the same five configs are measured, and supersede the first five.
  ProcessResult again = Sweep({"--remeasure"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("measuring again 5 configs"));
  EXPECT_THAT(again.output, HasSubstr("measuring 5 convolutions"));
  EXPECT_EQ(StoredMeasurements("ci-cpu"), 5);
  std::string listing = Listing();
  EXPECT_THAT(listing, HasSubstr("\"superseded_count\": \"5\""));
  // The model is refitted on the five current measurements, not on all ten rows.
  ProcessResult model;
  for (int i = 0; i < 100; ++i) {
    model = Client({"model", "--platform=ci-cpu", "--format=json"});
    if (model.output.find("\"measurements_seen\": \"5\"") != std::string::npos) break;
  }
  EXPECT_THAT(model.output, HasSubstr("\"measurements_seen\": \"5\""));

  const std::string before = absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Seconds(2), absl::UTCTimeZone());
  const std::vector<std::string> retire = {"retire", "--platform=ci-cpu", "--before=" + before};

  // Without --yes: what would change, and nothing changed.
  ProcessResult dry = Client({retire[0], retire[1], retire[2], "--token_file=" + token_});
  EXPECT_EQ(dry.exit_code, 3) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("nothing changed"));
  EXPECT_THAT(dry.output, HasSubstr("--yes"));
  EXPECT_EQ(StoredMeasurements("ci-cpu"), 5);

  // Without the token, for an unknown platform, or with a time that is none: refused, nothing changed.
  ProcessResult no_token = Client({retire[0], retire[1], retire[2], "--yes"});
  EXPECT_EQ(no_token.exit_code, 1) << no_token.output;
  EXPECT_THAT(no_token.output, HasSubstr("UNAUTHENTICATED"));
  ProcessResult unknown = Client({retire[0], "--platform=nowhere", retire[2], "--yes", "--token_file=" + token_});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("NOT_FOUND: platform 'nowhere' is not registered"));
  ProcessResult bad_time = Client({retire[0], retire[1], "--before=yesterday", "--yes", "--token_file=" + token_});
  EXPECT_EQ(bad_time.exit_code, 2) << bad_time.output;
  EXPECT_THAT(bad_time.output, HasSubstr("--before"));
  for (const char* command : {"purge", "remove-platform"}) {
    ProcessResult refused = Client({command, "--platform=ci-cpu", "--yes"});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("UNAUTHENTICATED"));
  }
  EXPECT_EQ(StoredMeasurements("ci-cpu"), 5);
  EXPECT_THAT(Listing(), HasSubstr("\"superseded_count\": \"5\""));

  // With both: retired, still in the store, and the model gone with them.
  ProcessResult retired = Client({retire[0], retire[1], retire[2], "--yes", "--token_file=" + token_});
  ASSERT_EQ(retired.exit_code, 0) << retired.output;
  EXPECT_EQ(StoredMeasurements("ci-cpu"), 0);
  listing = Listing();
  EXPECT_THAT(listing, HasSubstr("\"retired_count\": \"5\""));
  EXPECT_THAT(listing, HasSubstr("\"superseded_count\": \"5\""));
  ProcessResult no_model;
  for (int i = 0; i < 100; ++i) {
    no_model = Client({"model", "--platform=ci-cpu"});
    if (no_model.exit_code != 0) break;
  }
  EXPECT_THAT(no_model.output, HasSubstr("FAILED_PRECONDITION"));

  // Purged: the history is gone. The sweep then measures the five configs again.
  ProcessResult purged = Client({"purge", "--platform=ci-cpu", "--yes", "--token_file=" + token_, "--format=json"});
  ASSERT_EQ(purged.exit_code, 0) << purged.output;
  EXPECT_THAT(purged.output, HasSubstr("\"purged\": \"10\""));
  listing = Listing();
  EXPECT_THAT(listing, ::testing::Not(HasSubstr("\"retired_count\"")));  // proto3 JSON leaves zeros out
  EXPECT_THAT(listing, ::testing::Not(HasSubstr("\"superseded_count\"")));
  ProcessResult resumed = Sweep();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(StoredMeasurements("ci-cpu"), 5);

  // Removed: no longer listed; then purged, it is gone for good.
  ProcessResult removed = Client({"remove-platform", "ci-cpu", "--yes", "--token_file=" + token_});
  ASSERT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_EQ(StoredMeasurements("ci-cpu"), -1);
  EXPECT_EQ(Client({"purge", "--platform=ci-cpu", "--yes", "--token_file=" + token_}).exit_code, 0);
  EXPECT_THAT(Client({"purge", "--platform=ci-cpu", "--yes", "--token_file=" + token_}).output, HasSubstr("NOT_FOUND"));
}

}  // namespace
}  // namespace convlat::testing
