#include "model/two_mode/internal/byte_term_bounds.h"

#include "model/two_mode/kernel_cost_model.h"

namespace convlat::model::internal {

std::vector<int> ImplausibleByteTerms(std::span<const double> coefficients, double bandwidth_gbps) {
  std::vector<int> terms;
  if (!(bandwidth_gbps > 0)) return terms;
  const double max_us_per_byte = 1.0 / (kMinByteTermBandwidthShare * bandwidth_gbps * 1e3);  // GB/s = 1e3 bytes/µs
  for (int term = KernelCostModel::kInputBytes; term <= KernelCostModel::kTransformedFilterBytes; ++term) {
    if (coefficients[term] > max_us_per_byte) terms.push_back(term);
  }
  return terms;
}

void DropColumn(std::vector<double>& rows, int term) {
  for (size_t i = term; i < rows.size(); i += KernelCostModel::kTerms) rows[i] = 0;
}

}  // namespace convlat::model::internal
