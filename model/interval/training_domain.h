#pragma once
// What a platform measured: the sizes and kinds of convolution its fits were made from. A fitted
// model predicts any layer, but it has been checked only on layers like these, and its calibrated
// interval (held-out residuals of, say, 3x3 stride-1 layers) says nothing about a 1x1 layer with
// 9,216 input channels on a 1x1 image (a classifier's GEMV). Such a prediction is marked
// (Explanation.extrapolation, the reason in words) and gets the assumed interval, not the
// calibrated one, so a user sees where the answer rests on no measurement at all.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/latency/latency_model.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {

class TrainingDomain {
 public:
  // A size this many times beyond the largest (or below the smallest) measured is outside: a
  // staircase continues a little past its last step, not four times as far.
  static constexpr double kSizeTolerance = 1.5;

  // From the samples the fit used (weight > 0). Empty when there are none: then nothing is outside.
  static TrainingDomain Of(std::span<const Sample> samples);
  // Widens the domain by more samples: a transferred platform's is that of every source GPU's
  // layers and its own.
  void Add(std::span<const Sample> samples);

  // Why `shape` is outside, in words ("filter 11x11 (measured: 3x3); c=9216 is 4.5x the largest
  // measured (2041)"); empty when it is inside. Allocates only when outside.
  std::string Outside(const ConvShape& shape) const;
  // Whether `shape` is of a kind none of the samples was: a filter size, stride, dilation, grouping
  // or data type never measured (sizes beyond the measured range do not count). False when empty.
  bool NewKind(const ConvShape& shape) const;
  // Whether this domain holds a kind of layer `other` does not (a filter size, stride, dilation,
  // grouping or data type): a GPU that measured it can speak for such layers where `other` cannot.
  bool HasKindsBeyond(const TrainingDomain& other) const;

  // Whether any sample was in `layout` (true when empty). The layout is not a kind of layer above:
  // a network's layers come in the layout its file says (ONNX: NCHW), and a GPU timed through
  // TensorFlow (NHWC) runs the same convolutions; a layout a user asks for is checked by this.
  bool MeasuredLayout(v1::Layout layout) const;
  // The layouts measured, as a user types them ("nchw, native").
  std::string LayoutsMeasured() const;

  // "domain.c.min", "domain.c.max", ... and "domain.filters" (how many filter sizes were measured).
  std::map<std::string, double> parameters() const;

 private:
  enum Size { kBatch, kChannels, kOutChannels, kOutputPixels, kSizes };
  enum GroupKind { kDense, kDepthwise, kGrouped };
  using Pair = std::pair<int64_t, int64_t>;

  static std::array<double, kSizes> SizesOf(const ConvShape& shape);
  static GroupKind GroupKindOf(const ConvShape& shape);

  bool empty_ = true;
  std::array<double, kSizes> min_{}, max_{};
  // Small sets (a handful each), so a linear scan beats hashing.
  std::vector<Pair> filters_, strides_, dilations_;
  std::vector<GroupKind> group_kinds_;
  std::vector<v1::DataType> dtypes_;
  std::vector<v1::Layout> layouts_;
};

// A platform's convolution model whose predictions outside its training domain carry the reason
// in Explanation.extrapolation (PredictionIntervals::Apply then gives them the assumed interval).
// Kind and parameters are the model's; the domain's parameters are added.
class DomainCheckedModel final : public LatencyModel {
 public:
  DomainCheckedModel(std::unique_ptr<const LatencyModel> model, TrainingDomain domain)
      : model_(std::move(model)), domain_(std::move(domain)) {}

  Prediction Predict(const ConvShape& shape) const override;
  // The model's: the domain adds words, not time.
  LatencyParts PredictParts(const ConvShape& shape) const override { return model_->PredictParts(shape); }
  std::string kind() const override { return model_->kind(); }
  std::map<std::string, double> parameters() const override;

  const LatencyModel& model() const { return *model_; }
  const TrainingDomain& domain() const { return domain_; }

 private:
  std::unique_ptr<const LatencyModel> model_;
  TrainingDomain domain_;
};

}  // namespace convlat::model
