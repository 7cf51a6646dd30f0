#include "model/measured/measured_layers.h"

#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

// One spelling per configuration: the normalized parameters, serialized; a prefix keeps a
// convolution and an op from ever sharing a key.
std::string ConvKey(v1::ConvParams conv) {
  NormalizeConvParams(conv);
  return "c" + conv.SerializeAsString();
}

std::string OpKey(v1::OpParams op) {
  NormalizeOpParams(op);
  return "o" + op.SerializeAsString();
}

MeasuredLatency LatencyOf(const v1::Measurement& m) {
  return {.median_us = m.latency().median_us(),
          .p10_us = m.latency().p10_us(),
          .p90_us = m.latency().p90_us(),
          .hot_median_us = m.has_hot_latency() ? m.hot_latency().median_us() : 0};
}

}  // namespace

MeasuredLayers MeasuredLayers::FromMeasurements(const std::vector<v1::Measurement>& measurements) {
  MeasuredLayers table;
  for (const v1::Measurement& m : measurements) {
    if (m.failed() || m.noisy() || !(m.latency().median_us() > 0)) continue;
    const std::string key = m.has_op() ? OpKey(m.op()) : ConvKey(m.params());
    const auto [it, inserted] = table.by_configuration_.try_emplace(key, LatencyOf(m));
    if (!inserted && m.latency().median_us() < it->second.median_us) it->second = LatencyOf(m);
  }
  return table;
}

const MeasuredLatency* MeasuredLayers::FindConv(const v1::ConvParams& conv) const {
  if (by_configuration_.empty()) return nullptr;
  const auto it = by_configuration_.find(ConvKey(conv));
  return it == by_configuration_.end() ? nullptr : &it->second;
}

const MeasuredLatency* MeasuredLayers::FindOp(const v1::OpParams& op) const {
  if (by_configuration_.empty()) return nullptr;
  const auto it = by_configuration_.find(OpKey(op));
  return it == by_configuration_.end() ? nullptr : &it->second;
}

}  // namespace convlat::model
