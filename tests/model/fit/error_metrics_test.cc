#include "model/fit/error_metrics.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

TEST(ErrorMetricsTest, KnownValues) {
  const std::vector<double> measured = {100, 100, 100, 100};
  const std::vector<double> predicted = {105, 90, 100, 130};
  const ErrorSummary s = SummarizeErrors(predicted, measured);
  EXPECT_EQ(s.count, 4);
  EXPECT_NEAR(s.mape, (5 + 10 + 0 + 30) / 4.0, 1e-9);
  EXPECT_NEAR(s.rmspe, std::sqrt((25 + 100 + 0 + 900) / 4.0), 1e-9);
  EXPECT_DOUBLE_EQ(s.within_10, 0.75);
}

TEST(ErrorMetricsTest, EmptyIsZero) {
  const ErrorSummary s = SummarizeErrors({}, {});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.mape, 0);
}

}  // namespace
}  // namespace convlat::model
