#include "model/fit/error_metrics.h"

#include <cmath>

namespace convlat::model {

ErrorSummary SummarizeErrors(std::span<const double> predicted, std::span<const double> measured) {
  ErrorSummary summary;
  double absolute_sum = 0, squared_sum = 0;
  int within = 0;
  for (size_t i = 0; i < predicted.size() && i < measured.size(); ++i) {
    const double relative = (predicted[i] - measured[i]) / measured[i];
    absolute_sum += std::abs(relative);
    squared_sum += relative * relative;
    within += std::abs(relative) <= 0.10 ? 1 : 0;
    ++summary.count;
  }
  if (summary.count == 0) return summary;
  summary.mape = 100.0 * absolute_sum / summary.count;
  summary.rmspe = 100.0 * std::sqrt(squared_sum / summary.count);
  summary.within_10 = static_cast<double>(within) / summary.count;
  return summary;
}

}  // namespace convlat::model
