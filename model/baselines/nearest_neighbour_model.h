#pragma once
// Baseline: a lookup table of the measured layers, interpolated between the nearest neighbours
// in log-parameter space (inverse-distance weighted geometric mean). Exact where it has
// measured, blind to steps between its points.

#include <array>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

class NearestNeighbourModel final : public LatencyModel {
 public:
  static constexpr int kDims = 10;
  static constexpr int kNeighbours = 3;

  static absl::StatusOr<std::unique_ptr<NearestNeighbourModel>> Fit(const std::vector<Sample>& samples);

  Prediction Predict(const ConvShape& shape) const override;
  std::string kind() const override { return "nearest-neighbour"; }
  std::map<std::string, double> parameters() const override;

 private:
  using Point = std::array<double, kDims>;
  Point Scaled(const ConvShape& shape) const;

  Point scale_{};  // 1 / standard deviation of each coordinate over the table
  std::vector<Point> points_;
  std::vector<double> log_latency_;
};

}  // namespace convlat::model
