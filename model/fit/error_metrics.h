#pragma once
// Relative error metrics used to report model accuracy.

#include <span>

namespace convlat::model {

struct ErrorSummary {
  double mape = 0;       // mean absolute percentage error, percent
  double rmspe = 0;      // root mean squared percentage error, percent
  double within_10 = 0;  // share of predictions within ±10% of the measurement, 0..1
  int count = 0;
};

// `predicted` and `measured` have the same length; measured values must be > 0.
ErrorSummary SummarizeErrors(std::span<const double> predicted, std::span<const double> measured);

}  // namespace convlat::model
