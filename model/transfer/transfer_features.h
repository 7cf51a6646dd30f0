#pragma once
// A convolution's features on one GPU, normalised by that GPU's spec so that what is learnt on
// some GPUs applies to another: time at the compute and memory roofs, intensity against the ridge
// point, CTAs per SM (waves), the working set against L2, and of the GPU itself its ridge point
// (peak flops per byte of bandwidth) and SM count, which place it among the sources (what share of
// its roofline a GPU of that balance reaches). The transfer model regresses the log of
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
