#pragma once
// A convolution's features on one GPU, normalised by that GPU's spec so that what is learnt on
// some GPUs applies to another: time at the compute and memory roofs, intensity against the ridge
// point, CTAs per SM (waves), the working set against L2, and of the GPU itself its ridge point
// (peak flops per byte of bandwidth) and FP32 lanes per SM, which place it among the sources (what
// share of its roofline a GPU of that balance and SM width reaches). The SM's width, not the SM
// count: Kepler's 192-lane SMX reaches a smaller share of its peak than the 128-lane SMs after it,
// and that is a property of the architecture a K40 shares with a K80, where an SM count of 15 sat
// between the K80's 13 and the M60's 16 and made the trees take a K40 for a Maxwell (zero-shot
// 48 % on the K40 with the SM count, 17 % with the width; docs/accuracy.md "Transfer"). The SM
// count still enters through the waves. The transfer model regresses the log of
// latency over the spec roofline on these; the roofline carries the scale to devices far outside
// the sources' range (a 1-SM Jetson Nano), the regression the efficiency.

#include <array>

#include "model/layers/conv_shape.h"
#include "model/transfer/transfer_spec.h"

namespace convlat::model {

inline constexpr int kTransferFeatureCount = 12;
using TransferFeatures = std::array<double, kTransferFeatureCount>;

// max(flops / peak, bytes / bandwidth) in µs on `spec`: the time no implementation beats.
double SpecRooflineUs(const ConvShape& shape, const TransferSpec& spec);

TransferFeatures ComputeTransferFeatures(const ConvShape& shape, const TransferSpec& spec);

}  // namespace convlat::model
