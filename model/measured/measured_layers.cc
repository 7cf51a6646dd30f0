#include "model/measured/measured_layers.h"

#include "model/measured/fastest_per_configuration.h"

namespace convlat::model {
namespace {

MeasuredLatency LatencyOf(const v1::Measurement& m) {
  return {.median_us = m.latency().median_us(),
          .p10_us = m.latency().p10_us(),
          .p90_us = m.latency().p90_us(),
          .hot_median_us = m.has_hot_latency() ? m.hot_latency().median_us() : 0};
}

}  // namespace

MeasuredLayers MeasuredLayers::FromMeasurements(const std::vector<v1::Measurement>& measurements) {
  MeasuredLayers table;
  const auto answerable = [](const v1::Measurement& m) {
    return !m.failed() && !m.noisy() && m.latency().median_us() > 0;
  };
  for (const v1::Measurement* m : FastestPerConfiguration(measurements, answerable)) {
    if (m->has_op()) {
      table.ops_.emplace(OpConfiguration::Of(m->op()), LatencyOf(*m));
    } else {
      table.convs_.emplace(ResolveConvShape(m->params()), LatencyOf(*m));
    }
  }
  return table;
}

const MeasuredLatency* MeasuredLayers::FindConv(const ConvShape& shape) const {
  if (convs_.empty()) return nullptr;
  const auto it = convs_.find(shape);
  return it == convs_.end() ? nullptr : &it->second;
}

const MeasuredLatency* MeasuredLayers::FindConv(const v1::ConvParams& conv) const {
  return convs_.empty() ? nullptr : FindConv(ResolveConvShape(conv));
}

const MeasuredLatency* MeasuredLayers::FindOp(const v1::OpParams& op) const {
  if (ops_.empty()) return nullptr;
  const auto it = ops_.find(OpConfiguration::Of(op));
  return it == ops_.end() ? nullptr : &it->second;
}

}  // namespace convlat::model
