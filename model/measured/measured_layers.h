#pragma once
// What a platform's agents measured, configuration by configuration. A layer the platform has
// timed is answered with its own timing (a latency lookup table, as FBNet and ProxylessNAS keep
// one per device) instead of a fit's estimate of it: the fits smooth over what they cannot
// express, and a network often runs exactly the layers an agent measured (`convlat-agent network
// NET.onnx --sweep_out` writes them as a sweep). On this repository's CPU data the op model puts
// a 3x3 stride-1 average pooling in NCHW at 0.25 ms where oneDNN's reference kernel takes 4.2 ms,
// 17x more, and Inception v3 runs ten of them. The fits still answer every layer not measured.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "convlat/v1/types.pb.h"
#include "model/layers/conv_shape.h"
#include "model/measured/op_configuration.h"

namespace convlat::model {

// The timing of one configuration, as its agent measured it.
struct MeasuredLatency {
  double median_us = 0;
  double p10_us = 0;  // of the timed runs (0 when the agent did not record it)
  double p90_us = 0;
  double hot_median_us = 0;  // timed hot as well (CPU agents); 0 when not
  bool operator==(const MeasuredLatency&) const = default;
};

class MeasuredLayers {
 public:
  // The successful measurements not flagged noisy (a noisy one is answered by the fits, which
  // weigh it down), one per configuration: of a convolution timed with several algorithms
  // (`--algo all`) the fastest, as a framework picks it (as the fits' samples do).
  static MeasuredLayers FromMeasurements(const std::vector<v1::Measurement>& measurements);

  // The measurement of this configuration (compared as normalized: unset fields at their
  // defaults), or null when the platform has none. Every served layer is looked up, so a lookup
  // hashes the resolved fields themselves: no normalized copy, no serialization.
  const MeasuredLatency* FindConv(const ConvShape& shape) const;
  const MeasuredLatency* FindConv(const v1::ConvParams& conv) const;  // resolved (ResolveConvShape)
  const MeasuredLatency* FindOp(const v1::OpParams& op) const;

  size_t size() const { return convs_.size() + ops_.size(); }

 private:
  absl::flat_hash_map<ConvShape, MeasuredLatency> convs_;
  absl::flat_hash_map<OpConfiguration, MeasuredLatency> ops_;
};

}  // namespace convlat::model
