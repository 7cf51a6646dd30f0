// Leave-one-GPU-out on real public data: two NeuSight GPUs, each the other's only source.
#include "model/transfer/transfer_evaluation.h"

#include <cmath>

#include <gtest/gtest.h>

#include "model/datasets/public_datasets.h"
#include "model/serving_model.h"

namespace convlat::model {
namespace {

TransferSource LoadSource(const std::string& name) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  absl::StatusOr<PublicPlatform> entry = FindPublicPlatform(name);
  EXPECT_TRUE(entry.ok()) << entry.status();
  absl::StatusOr<RecordedPlatform> recorded = LoadPublicPlatform(*entry, dir, "test");
  EXPECT_TRUE(recorded.ok()) << recorded.status();
  absl::StatusOr<TransferSpec> spec = TransferSpecOf(recorded->platform, "platform");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return TransferSource{.spec = *spec, .samples = SamplesFromMeasurements(recorded->measurements)};
}

TEST(TransferEvaluationTest, LeaveOneOutOnTwoRealGpusGivesFiniteErrors) {
  TransferEvaluationOptions options;
  options.target_layers = {0, 25, 50, 100};
  options.transfer.max_samples_per_source = 600;
  options.interval_samples_per_source = 300;
  const TransferMatrix matrix = EvaluateTransfer({LoadSource("gpu-t4"), LoadSource("gpu-v100")}, options);
  ASSERT_EQ(matrix.rows, (std::vector<std::string>{"gpu-t4", "gpu-v100"}));
  ASSERT_EQ(matrix.columns.size(), 5u);
  EXPECT_EQ(matrix.columns[0], "MAPE % at 0 layers");
  EXPECT_EQ(matrix.sources[0], "gpu-v100");
  for (size_t row = 0; row < matrix.rows.size(); ++row) {
    ASSERT_EQ(matrix.values[row].size(), 5u);
    for (int column = 0; column < 4; ++column) {
      EXPECT_TRUE(std::isfinite(matrix.values[row][column])) << matrix.rows[row] << " " << matrix.columns[column];
      EXPECT_GT(matrix.values[row][column], 0);
    }
    // One source leaves nothing to hold out for an interval.
    EXPECT_TRUE(std::isnan(matrix.values[row][4]));
  }
}

// With the platform's own fit, what is served at 50 layers is the blend, scored beside each alone;
// on these real GPUs (three NeuSight ones, each the target once) it beats both, and its intervals
// are scored too.
TEST(TransferEvaluationTest, TheBlendBeatsTheTransferAndTheOwnFitAloneOnRealGpus) {
  TransferEvaluationOptions options;
  options.target_layers = {0, 50};
  options.subsets = 2;
  options.transfer.max_samples_per_source = 600;
  options.interval_samples_per_source = 300;
  options.own_fit = [](const std::vector<Sample>& samples, const HardwareInfo& hardware) {
    return FitLatencyModel(samples, hardware);
  };
  const TransferMatrix matrix =
      EvaluateTransfer({LoadSource("gpu-t4"), LoadSource("gpu-v100"), LoadSource("gpu-a100")}, options);
  ASSERT_EQ(matrix.columns,
            (std::vector<std::string>{"MAPE % at 0 layers", "MAPE % at 50 layers", "80 % interval coverage %",
                                      "transfer alone at 50", "own fit at 50", "80 % interval coverage at 50"}));
  for (size_t row = 0; row < matrix.rows.size(); ++row) {
    const std::vector<double>& v = matrix.values[row];
    ASSERT_EQ(v.size(), 6u);
    EXPECT_LT(v[1], v[3]) << matrix.rows[row] << ": blend against the transfer alone";
    EXPECT_LT(v[1], v[4]) << matrix.rows[row] << ": blend against the own fit alone";
    // Its intervals, calibrated on the 50 layers' held-out residuals, hold most held-out layers.
    EXPECT_GT(v[5], 60) << matrix.rows[row];
    EXPECT_LE(v[5], 100) << matrix.rows[row];
  }
}

}  // namespace
}  // namespace convlat::model
