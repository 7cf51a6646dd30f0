#include "model/latency/samples.h"

#include <algorithm>

#include "model/measured/fastest_per_configuration.h"

namespace convlat::model {

const v1::KernelRecord* MainKernel(const v1::Measurement& m) {
  const v1::KernelRecord* main = nullptr;
  for (const v1::KernelRecord& kernel : m.kernels()) {
    if (main == nullptr || kernel.duration_us() > main->duration_us()) main = &kernel;
  }
  return main;
}

std::vector<Sample> SamplesFromMeasurements(const std::vector<v1::Measurement>& measurements) {
  // One sample per configuration, the fastest (noisy ones kept: the fit down-weights them).
  const auto timed_conv = [](const v1::Measurement& m) {
    return !m.has_op() && !m.failed() && m.latency().median_us() > 0;
  };
  std::vector<Sample> samples;
  for (const v1::Measurement* m : FastestPerConfiguration(measurements, timed_conv)) {
    Sample sample{.shape = ResolveConvShape(m->params()), .latency_us = m->latency().median_us(), .noisy = m->noisy()};
    if (const v1::KernelRecord* kernel = MainKernel(*m)) {
      sample.kernel = kernel->name();
      const v1::Dim3& grid = kernel->grid();
      sample.observed_ctas = grid.x() > 0 ? int64_t{grid.x()} * std::max(1u, grid.y()) * std::max(1u, grid.z()) : 0;
      if (grid.x() > 0) sample.observed_grid = {grid.x(), std::max(1u, grid.y()), std::max(1u, grid.z())};
    } else {
      sample.kernel = m->algorithm();
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::vector<v1::Measurement> HotTimingsOf(const std::vector<v1::Measurement>& measurements) {
  std::vector<v1::Measurement> hot;
  for (const v1::Measurement& m : measurements) {
    if (m.failed() || !m.has_hot_latency() || !(m.hot_latency().median_us() > 0)) continue;
    v1::Measurement& timing = hot.emplace_back(m);
    *timing.mutable_latency() = m.hot_latency();
    timing.clear_hot_latency();
    timing.set_noisy(false);
  }
  return hot;
}

}  // namespace convlat::model
