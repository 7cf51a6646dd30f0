#include "model/latency_model.h"

#include "model/roofline_model.h"
#include "model/two_mode_model.h"

namespace convlat::model {
namespace {

// The record whose kernel took longest is the one that explains the latency (the others are
// offset computations, Winograd transforms and the like).
const v1::KernelRecord* MainKernel(const v1::Measurement& m) {
  const v1::KernelRecord* main = nullptr;
  for (const v1::KernelRecord& kernel : m.kernels()) {
    if (main == nullptr || kernel.duration_us() > main->duration_us()) main = &kernel;
  }
  return main;
}

}  // namespace

HardwareInfo HardwareOf(const v1::Platform& platform) { return {.compute_units = platform.compute_units()}; }

std::vector<Sample> SamplesFromMeasurements(const std::vector<v1::Measurement>& measurements) {
  std::vector<Sample> samples;
  samples.reserve(measurements.size());
  for (const v1::Measurement& m : measurements) {
    if (m.failed() || !(m.latency().median_us() > 0)) continue;
    Sample sample{.shape = ResolveConvShape(m.params()), .latency_us = m.latency().median_us()};
    if (const v1::KernelRecord* kernel = MainKernel(m)) {
      sample.kernel = kernel->name();
      const v1::Dim3& grid = kernel->grid();
      sample.observed_ctas = int64_t{grid.x()} * std::max(1u, grid.y()) * std::max(1u, grid.z());
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware) {
  if (samples.size() >= TwoModeModel::kMinSamples) {
    absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(samples, hardware);
    if (two_mode.ok()) return std::unique_ptr<LatencyModel>(std::move(*two_mode));
  }
  absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(samples);
  if (!model.ok()) return model.status();
  return std::unique_ptr<LatencyModel>(std::move(*model));
}

}  // namespace convlat::model
