// Leave-one-GPU-out on real public data: two NeuSight GPUs, each the other's only source.
#include "model/transfer/transfer_evaluation.h"

#include <cmath>

#include <gtest/gtest.h>

#include "model/serving_model.h"
#include "tests/support/public_transfer_source.h"

namespace convlat::model {
namespace {

TEST(TransferEvaluationTest, LeaveOneOutOnTwoRealGpusGivesFiniteErrors) {
  TransferEvaluationOptions options;
  options.target_layers = {0, 25, 50, 100};
  options.transfer.max_samples_per_source = 600;
  options.transfer.held_out_samples_per_source = 300;
  const TransferMatrix matrix = EvaluateTransfer({LoadPublicSource("gpu-t4"), LoadPublicSource("gpu-v100")}, options);
  ASSERT_EQ(matrix.rows, (std::vector<std::string>{"gpu-t4", "gpu-v100"}));
  ASSERT_EQ(matrix.columns.size(), 6u);
  EXPECT_EQ(matrix.columns[0], "MAPE % at 0 layers");
  EXPECT_EQ(matrix.columns[5], "rule share (zero-shot)");
  EXPECT_EQ(matrix.sources[0], "gpu-v100");
  for (size_t row = 0; row < matrix.rows.size(); ++row) {
    ASSERT_EQ(matrix.values[row].size(), 6u);
    for (int column = 0; column < 4; ++column) {
      EXPECT_TRUE(std::isfinite(matrix.values[row][column])) << matrix.rows[row] << " " << matrix.columns[column];
      EXPECT_GT(matrix.values[row][column], 0);
    }
    // One source leaves nothing to hold out for an interval, nor to choose the rule's share on.
    EXPECT_TRUE(std::isnan(matrix.values[row][4]));
    EXPECT_EQ(matrix.values[row][5], 0);
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
  options.transfer.held_out_samples_per_source = 300;
  options.own_fit = [](const std::vector<Sample>& samples, const HardwareInfo& hardware) {
    return FitLatencyModel(samples, hardware);
  };
  const TransferMatrix matrix = EvaluateTransfer(
      {LoadPublicSource("gpu-t4"), LoadPublicSource("gpu-v100"), LoadPublicSource("gpu-a100")}, options);
  ASSERT_EQ(matrix.columns,
            (std::vector<std::string>{"MAPE % at 0 layers", "MAPE % at 50 layers", "80 % interval coverage %",
                                      "rule share (zero-shot)", "transfer alone at 50", "own fit at 50",
                                      "80 % interval coverage at 50"}));
  for (size_t row = 0; row < matrix.rows.size(); ++row) {
    const std::vector<double>& v = matrix.values[row];
    ASSERT_EQ(v.size(), 7u);
    EXPECT_LT(v[1], v[4]) << matrix.rows[row] << ": blend against the transfer alone";
    EXPECT_LT(v[1], v[5]) << matrix.rows[row] << ": blend against the own fit alone";
    // Its intervals, calibrated on the 50 layers' held-out residuals, hold most held-out layers.
    EXPECT_GT(v[6], 60) << matrix.rows[row];
    EXPECT_LE(v[6], 100) << matrix.rows[row];
  }
}

}  // namespace
}  // namespace convlat::model
