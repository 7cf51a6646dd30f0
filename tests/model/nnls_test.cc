#include "model/nnls.h"

#include <array>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

// Synthetic rows (this is a unit test of the fitting code): y = 3 + 2·x exactly.
TEST(NnlsTest, RecoversExactNonNegativeCoefficients) {
  RelativeNormalEquations equations(2);
  for (double x : {1.0, 2.0, 5.0, 10.0, 100.0}) equations.Add(std::array{1.0, x}, 3 + 2 * x);
  const auto fit = equations.SolveNonNegative();
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->coefficients[0], 3, 1e-9);
  EXPECT_NEAR(fit->coefficients[1], 2, 1e-9);
  EXPECT_NEAR(fit->relative_sse, 0, 1e-12);
}

// Synthetic: the unconstrained optimum has a negative intercept; the fit drops that term.
TEST(NnlsTest, NeverReturnsANegativeCost) {
  RelativeNormalEquations equations(2);
  for (double x : {1.0, 2.0, 4.0, 8.0}) equations.Add(std::array{1.0, x}, 2 * x - 1);
  const auto fit = equations.SolveNonNegative();
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->coefficients[0], 0);
  EXPECT_GT(fit->coefficients[1], 0);
}

TEST(NnlsTest, IgnoresRowsWithoutALatencyAndNeedsEnoughRows) {
  RelativeNormalEquations equations(3);
  equations.Add(std::array{1.0, 2.0, 3.0}, 0);
  equations.Add(std::array{1.0, 2.0, 3.0}, -5);
  EXPECT_EQ(equations.rows(), 0);
  EXPECT_FALSE(equations.SolveNonNegative().has_value());
}

}  // namespace
}  // namespace convlat::model
