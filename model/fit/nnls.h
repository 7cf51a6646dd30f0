#pragma once
// Non-negative least squares on relative error, the fitting core of every linear latency model.
// Latency terms (fixed cost, per-wave cost, per-byte cost) are physical costs, so a negative
// coefficient is never a valid explanation; and layer latencies span five orders of magnitude,
// so the fit minimises squared *relative* error (weights 1/y²) or the big layers would dominate.

#include <optional>
#include <span>
#include <vector>

namespace convlat::model {

// Accumulates the weighted normal equations XᵀWX, XᵀWy, yᵀWy with W = w/y², one row at a time,
// so searches over many candidate feature maps never store the design matrix.
class RelativeNormalEquations {
 public:
  explicit RelativeNormalEquations(int terms);

  // `row` has `terms` entries; rows with a non-positive or non-finite latency, or a weight that is
  // not positive, are ignored. `weight` multiplies the row's 1/y² (robust fits down-weight rows).
  void Add(std::span<const double> row, double latency, double weight = 1.0);

  // Equations whose rows were summed elsewhere: `gram` is XᵀWX (row-major, terms x terms; only the
  // upper triangle is read), `moment` XᵀWy, `scale` the largest |x| of each column, `y_weighted`
  // yᵀWy. For searches whose candidates share most columns, so each shared product is summed once
  // rather than once per candidate (kernel_cost_model.cc).
  static RelativeNormalEquations FromSums(std::vector<double> gram, std::vector<double> moment,
                                          std::vector<double> scale, double y_weighted, int rows);

  int terms() const { return terms_; }
  int rows() const { return rows_; }

  struct Solution {
    std::vector<double> coefficients;  // all >= 0; 0 for terms the fit left out
    double relative_sse = 0;           // Σ w·((x·b − y)/y)²
  };
  // The non-negative optimum, by Lawson and Hanson's active-set method on the normal equations
  // (exact at convergence; a few small solves per term). nullopt when there are fewer rows than
  // terms or no term can enter the fit.
  std::optional<Solution> SolveNonNegative() const;

 private:
  double Gram(int i, int j) const { return gram_[i * terms_ + j]; }

  int terms_;
  int rows_ = 0;
  std::vector<double> gram_;    // XᵀWX, row-major terms x terms
  std::vector<double> moment_;  // XᵀWy
  std::vector<double> scale_;   // largest |x| per column, to condition the solve
  double y_weighted_ = 0;       // yᵀWy (= Σ w)
};

}  // namespace convlat::model
