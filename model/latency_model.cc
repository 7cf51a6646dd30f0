#include "model/latency_model.h"

#include "model/roofline_model.h"

namespace convlat::model {

std::vector<Sample> SamplesFromMeasurements(const std::vector<v1::Measurement>& measurements) {
  std::vector<Sample> samples;
  samples.reserve(measurements.size());
  for (const v1::Measurement& m : measurements) {
    if (m.failed() || !(m.latency().median_us() > 0)) continue;
    samples.push_back({ResolveConvShape(m.params()), m.latency().median_us()});
  }
  return samples;
}

absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples) {
  absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(samples);
  if (!model.ok()) return model.status();
  return std::unique_ptr<LatencyModel>(std::move(*model));
}

}  // namespace convlat::model
