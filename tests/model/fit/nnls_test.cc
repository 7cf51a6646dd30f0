#include "model/fit/nnls.h"

#include <array>
#include <cmath>
#include <vector>

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

// Synthetic: ten terms, two of them all-zero (terms that do not apply to a kernel) and one an
// exact copy of another; the fit stays exact and leaves the zero terms out.
TEST(NnlsTest, HandlesManyTermsZeroColumnsAndCollinearity) {
  RelativeNormalEquations equations(10);
  for (int i = 1; i <= 40; ++i) {
    const double a = i, b = (i * 7) % 11 + 1, c = std::sqrt(i);
    const std::array<double, 10> row{1, a, b, c, 0, a * b, 0, c, b * c, 1.0 / i};
    equations.Add(row, 5 + 2 * a + 0.5 * b + 3 * a * b + 4.0 / i);
  }
  const auto fit = equations.SolveNonNegative();
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->relative_sse, 0, 1e-9);
  EXPECT_EQ(fit->coefficients[4], 0);
  EXPECT_EQ(fit->coefficients[6], 0);
  EXPECT_NEAR(fit->coefficients[0], 5, 1e-6);
  EXPECT_NEAR(fit->coefficients[5], 3, 1e-6);
  for (double coefficient : fit->coefficients) EXPECT_GE(coefficient, 0);
}

// Synthetic: with a noisy target, the active-set answer is no worse than every single term alone
// and than the best non-negative pair (checked by brute force).
TEST(NnlsTest, IsAtLeastAsGoodAsAnySmallSubset) {
  RelativeNormalEquations full(3);
  std::vector<std::array<double, 3>> rows;
  std::vector<double> ys;
  for (int i = 1; i <= 30; ++i) {
    rows.push_back({1.0, double(i), double(i * i % 17)});
    ys.push_back(10 + 3 * i - 0.2 * (i * i % 17) + (i % 3));
    full.Add(rows.back(), ys.back());
  }
  const auto fit = full.SolveNonNegative();
  ASSERT_TRUE(fit.has_value());
  for (int mask = 1; mask < 8; ++mask) {
    RelativeNormalEquations subset(3);
    for (size_t r = 0; r < rows.size(); ++r) {
      std::array<double, 3> row = rows[r];
      for (int j = 0; j < 3; ++j) row[j] = (mask >> j & 1) ? row[j] : 0;
      subset.Add(row, ys[r]);
    }
    const auto sub = subset.SolveNonNegative();
    if (sub) {
      EXPECT_LE(fit->relative_sse, sub->relative_sse + 1e-9) << "subset mask " << mask;
    }
  }
}

}  // namespace
}  // namespace convlat::model
