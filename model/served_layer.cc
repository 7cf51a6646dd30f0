#include "model/served_layer.h"

#include "model/latency/network_prediction.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {

Prediction PredictServedLayer(const LatencyModel& conv, const MeasuredLayers& measured,
                              const PredictionIntervals& intervals, const v1::ConvParams& layer) {
  const ConvShape shape = ResolveConvShape(layer);  // once: the model's input and the table's key
  Prediction prediction = conv.Predict(shape);
  if (const MeasuredLatency* timed = measured.FindConv(shape)) AnswerFromMeasurement(*timed, prediction);
  intervals.Apply(prediction);
  return prediction;
}

}  // namespace convlat::model
