#pragma once
// A latency model whose predictions are a given function's: tests give a source GPU's own model or
// a platform's own fit a known law, apart from any fit's error.
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "model/latency/latency_model.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {

class FunctionLatencyModel final : public LatencyModel {
 public:
  FunctionLatencyModel(std::string kind, std::function<Prediction(const ConvShape&)> predict,
                       std::map<std::string, double> parameters = {})
      : kind_(std::move(kind)), predict_(std::move(predict)), parameters_(std::move(parameters)) {}

  Prediction Predict(const ConvShape& shape) const override { return predict_(shape); }
  std::string kind() const override { return kind_; }
  std::map<std::string, double> parameters() const override { return parameters_; }

 private:
  std::string kind_;
  std::function<Prediction(const ConvShape&)> predict_;
  std::map<std::string, double> parameters_;
};

}  // namespace convlat::model
