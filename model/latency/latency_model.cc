#include "model/latency/latency_model.h"

namespace convlat::model {

HardwareInfo HardwareOf(const v1::Platform& platform) {
  return {.compute_units = platform.compute_units(), .memory_bandwidth_gbps = platform.memory_bandwidth_gbps()};
}

LatencyParts LatencyModel::PredictParts(const ConvShape& shape) const {
  const Prediction p = Predict(shape);
  return {.latency_us = p.latency_us,
          .compute_share = p.explanation.compute_share(),
          .memory_share = p.explanation.memory_share()};
}

ErrorSummary ErrorsOn(const LatencyModel& model, const std::vector<Sample>& samples) {
  std::vector<double> predicted, measured;
  predicted.reserve(samples.size());
  measured.reserve(samples.size());
  for (const Sample& sample : samples) {
    predicted.push_back(model.PredictParts(sample.shape).latency_us);
    measured.push_back(sample.latency_us);
  }
  return SummarizeErrors(predicted, measured);
}

}  // namespace convlat::model
