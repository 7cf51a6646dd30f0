#pragma once
// The floor on what a staircase's byte terms may cost (kMinByteTermBandwidthShare,
// kernel_cost_model.h): which terms a fit prices beyond it, and how a fit leaves them out.

#include <span>
#include <vector>

namespace convlat::model::internal {

// The byte terms (KernelCostModel::Term) that `coefficients` prices above what moving those bytes
// at kMinByteTermBandwidthShare of `bandwidth_gbps` would cost; none when the bandwidth is unknown.
std::vector<int> ImplausibleByteTerms(std::span<const double> coefficients, double bandwidth_gbps);

// Zeroes column `term` of the row-major `rows` (KernelCostModel::kTerms per row): a fit of them then
// leaves the term out (a column that is all zeros never enters a non-negative fit).
void DropColumn(std::vector<double>& rows, int term);

}  // namespace convlat::model::internal
