#include "model/baselines/nearest_neighbour_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace convlat::model {
namespace {

std::array<double, NearestNeighbourModel::kDims> Coordinates(const ConvShape& s) {
  auto log2 = [](int64_t v) { return std::log2(static_cast<double>(std::max<int64_t>(v, 1))); };
  return {log2(s.n),       log2(s.c),        log2(s.h),      log2(s.w),       log2(s.k),
          log2(s.r * s.s), log2(s.stride_h), log2(s.groups), double(s.pad_h), double(s.dtype)};
}

}  // namespace

NearestNeighbourModel::Point NearestNeighbourModel::Scaled(const ConvShape& shape) const {
  Point p = Coordinates(shape);
  for (int i = 0; i < kDims; ++i) p[i] *= scale_[i];
  return p;
}

absl::StatusOr<std::unique_ptr<NearestNeighbourModel>> NearestNeighbourModel::Fit(const std::vector<Sample>& samples) {
  auto model = std::make_unique<NearestNeighbourModel>();
  std::vector<Point> raw;
  for (const Sample& sample : samples) {
    if (!(sample.latency_us > 0)) continue;
    raw.push_back(Coordinates(sample.shape));
    model->log_latency_.push_back(std::log(sample.latency_us));
  }
  if (raw.empty()) return absl::FailedPreconditionError("the lookup table needs at least 1 measurement");
  for (int i = 0; i < kDims; ++i) {
    double sum = 0, sum_sq = 0;
    for (const Point& p : raw) sum += p[i], sum_sq += p[i] * p[i];
    const double mean = sum / raw.size();
    const double variance = sum_sq / raw.size() - mean * mean;
    // A coordinate that never varies in the table cannot tell neighbours apart: weigh it 1.
    model->scale_[i] = variance > 1e-12 ? 1.0 / std::sqrt(variance) : 1.0;
  }
  for (Point p : raw) {
    for (int i = 0; i < kDims; ++i) p[i] *= model->scale_[i];
    model->points_.push_back(p);
  }
  return model;
}

Prediction NearestNeighbourModel::Predict(const ConvShape& shape) const {
  const Point query = Scaled(shape);
  std::array<std::pair<double, size_t>, kNeighbours> nearest;
  nearest.fill({std::numeric_limits<double>::infinity(), 0});
  for (size_t i = 0; i < points_.size(); ++i) {
    double distance = 0;
    for (int d = 0; d < kDims; ++d) distance += (points_[i][d] - query[d]) * (points_[i][d] - query[d]);
    if (distance < nearest.back().first) {
      nearest.back() = {distance, i};
      std::sort(nearest.begin(), nearest.end());
    }
  }
  double weighted = 0, weights = 0;
  for (const auto& [distance, index] : nearest) {
    if (!std::isfinite(distance)) continue;
    if (distance == 0) {  // measured exactly: the table's own value
      weighted = log_latency_[index];
      weights = 1;
      break;
    }
    weighted += log_latency_[index] / std::sqrt(distance);
    weights += 1 / std::sqrt(distance);
  }
  Prediction prediction;
  prediction.latency_us = std::exp(weighted / weights);
  prediction.explanation.set_model_kind(kind());
  return prediction;
}

std::map<std::string, double> NearestNeighbourModel::parameters() const {
  return {{"table_size", static_cast<double>(points_.size())}, {"neighbours", kNeighbours}};
}

}  // namespace convlat::model
