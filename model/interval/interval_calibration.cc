#include "model/interval/interval_calibration.h"

namespace convlat::model {
namespace {

// Fits on all folds but one and predicts that one, for each fold calibration uses.
template <typename SampleT, typename FitAndPredict>
std::vector<HeldOutResidual> HeldOut(const std::vector<SampleT>& samples, const FitAndPredict& fit_and_predict) {
  std::vector<HeldOutResidual> residuals;
  if (samples.size() < kCalibrationFolds) return residuals;
  ForEachCalibrationFold(samples, [&](const std::vector<SampleT>& train, const std::vector<SampleT>& test) {
    fit_and_predict(train, test, residuals);
  });
  return residuals;
}

}  // namespace

std::vector<HeldOutResidual> HeldOutConvResiduals(const std::vector<Sample>& samples, const ConvFitter& fit) {
  return HeldOut(samples, [&fit](const std::vector<Sample>& train, const std::vector<Sample>& test,
                                 std::vector<HeldOutResidual>& out) {
    absl::StatusOr<std::unique_ptr<LatencyModel>> model = fit(train);
    if (!model.ok()) return;
    for (const Sample& s : test) out.push_back({(*model)->Predict(s.shape), s.latency_us});
  });
}

std::vector<HeldOutResidual> HeldOutOpResiduals(const std::vector<OpSample>& samples) {
  return HeldOut(samples, [](const std::vector<OpSample>& train, const std::vector<OpSample>& test,
                             std::vector<HeldOutResidual>& out) {
    absl::StatusOr<OpLatencyModel> model = OpLatencyModel::Fit(train);
    if (!model.ok()) return;
    for (const OpSample& s : test) out.push_back({model->Predict(s.op), s.latency_us});
  });
}

PredictionIntervals CalibrateConvIntervals(const std::vector<Sample>& samples, const ConvFitter& fit) {
  return PredictionIntervals::Calibrate(HeldOutConvResiduals(samples, fit));
}

PredictionIntervals CalibrateOpIntervals(const std::vector<OpSample>& samples) {
  return PredictionIntervals::Calibrate(HeldOutOpResiduals(samples));
}

}  // namespace convlat::model
