// convlat-eval's pieces outside main: the flags' parsing and the errors that name them, the dataset
// loader on this repository's real CPU measurements, and the report rows.
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "client/eval_dataset.h"
#include "client/eval_flags.h"
#include "client/eval_k_plot.h"
#include "client/eval_report.h"

namespace convlat::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kCpuSweep = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/default-sweep.csv";

TEST(EvalFlagsTest, SizesAreCommaSeparatedPositiveCounts) {
  absl::StatusOr<std::vector<size_t>> sizes = ParseSizes("25,50,,100", "curve");
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  EXPECT_THAT(*sizes, ElementsAre(25, 50, 100));
  sizes = ParseSizes("", "active");
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  EXPECT_THAT(*sizes, IsEmpty());
}

TEST(EvalFlagsTest, ABadSizeNamesTheFlagAndWhatWasTyped) {
  for (const char* typed : {"25,ten", "0", "-5"}) {
    const absl::StatusOr<std::vector<size_t>> sizes = ParseSizes(typed, "active");
    ASSERT_FALSE(sizes.ok()) << typed;
    EXPECT_EQ(sizes.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(sizes.status().message(), HasSubstr("--active: '"));
    EXPECT_THAT(sizes.status().message(), HasSubstr("is not a positive count"));
  }
}

TEST(EvalDatasetTest, ExactlyOneSourceIsRequired) {
  absl::FlagSaver restore;
  absl::StatusOr<EvalDataset> none = LoadEvalDataset();
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("give exactly one of --neusight, --justus, --csv or --db"));
  absl::SetFlag(&FLAGS_csv, kCpuSweep);
  absl::SetFlag(&FLAGS_db, "convlat.db");
  EXPECT_EQ(LoadEvalDataset().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EvalDatasetTest, ADatabaseNeedsAPlatformAndAMissingCsvIsNamed) {
  absl::FlagSaver restore;
  absl::SetFlag(&FLAGS_db, "convlat.db");
  absl::StatusOr<EvalDataset> data = LoadEvalDataset();
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(data.status().message(), HasSubstr("--db needs --platform"));
  absl::SetFlag(&FLAGS_db, "");
  absl::SetFlag(&FLAGS_csv, "/nonexistent/convlat.csv");
  data = LoadEvalDataset();
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(data.status().message(), HasSubstr("--csv: cannot open /nonexistent/convlat.csv"));
}

// The CPU's default sweep holds convolutions and other ops: both are read, and the ops' report
// has its heading and its row for every held-out op.
TEST(EvalDatasetTest, APublicFileGivenToTheOtherReaderNamesTheFlagThatReadsIt) {
  absl::FlagSaver restore;
  const std::string data = std::string(CONVLAT_SOURCE_DIR) + "/data/public/";
  const std::string neusight = data + "neusight-conv3x3/Tesla_T4.csv", justus = data + "justus-conv/Tesla_K40.csv";
  absl::SetFlag(&FLAGS_justus, neusight);
  absl::StatusOr<EvalDataset> loaded = LoadEvalDataset();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("its header is that of a neusight file: --neusight " + neusight));
  absl::SetFlag(&FLAGS_justus, "");
  absl::SetFlag(&FLAGS_csv, justus);
  loaded = LoadEvalDataset();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("its header is that of a justus file: --justus " + justus));
}

TEST(EvalDatasetTest, ReadsTheRealCpuSweepAndReportsItsOps) {
  absl::FlagSaver restore;
  absl::SetFlag(&FLAGS_csv, kCpuSweep);
  absl::SetFlag(&FLAGS_platform, "cpu");
  absl::SetFlag(&FLAGS_compute_units, 2);
  const absl::StatusOr<EvalDataset> data = LoadEvalDataset();
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->name, "cpu");
  EXPECT_EQ(data->hardware.compute_units, 2);
  EXPECT_GT(data->samples.size(), 10u);
  ASSERT_GT(data->ops.size(), 600u);
  std::ostringstream out;
  ASSERT_TRUE(ReportOps(*data, 0.2, 1, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("## cpu: other ops\n\n" + std::to_string(data->ops.size()) +
                                   " ops measured, 20% held out (seed 1)"));
  EXPECT_THAT(out.str(), HasSubstr("\n| all | "));  // every held-out op
}

// A public GPU file names its device and the table gives its SMs; --compute_units wins over the
// table (a GPU the table lacks, or a part running capped), and a negative count is refused.
TEST(EvalDatasetTest, ComputeUnitsOverrideWhatTheGpuTableSays) {
  absl::FlagSaver restore;
  absl::SetFlag(&FLAGS_neusight, std::string(CONVLAT_SOURCE_DIR) + "/data/public/neusight-conv3x3/Tesla_T4.csv");
  absl::StatusOr<EvalDataset> data = LoadEvalDataset();
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->hardware.compute_units, 40);
  absl::SetFlag(&FLAGS_compute_units, 36);
  data = LoadEvalDataset();
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->hardware.compute_units, 36);
  absl::SetFlag(&FLAGS_compute_units, -1);
  EXPECT_THAT(LoadEvalDataset().status().message(), HasSubstr("--compute_units must be >= 0, got -1"));
}

TEST(EvalReportTest, AFailedFitSaysWhyInItsRow) {
  const model::EvaluationResult failed{.model = "two-mode", .train_size = 5, .failure = "too few layers"};
  EXPECT_EQ(EvaluationRow(failed), "| two-mode | 5 | fit failed: too few layers | | | |");
  model::EvaluationResult fitted{.model = "roofline", .train_size = 100, .fit_seconds = 0.25};
  fitted.errors.mape = 12.34;
  fitted.errors.rmspe = 20;
  fitted.errors.within_10 = 0.5;
  EXPECT_EQ(EvaluationRow(fitted), "| roofline | 100 | 12.3 | 20.0 | 50.0 | 0.250 |");
}

TEST(EvalKPlotTest, ALayerThatDoesNotParseNamesPlotLayer) {
  const EvalDataset data;
  const model::SampleSplit split;
  std::ostringstream out;
  const absl::Status status = WriteKSweepPlot("unused.svg", "n=1,c=oops", 16, data, split, {}, "", out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--plot_layer: "));
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace convlat::client
