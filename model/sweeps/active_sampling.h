#pragma once
// Active sampling: which configurations to measure next so the model learns most per
// measurement, instead of walking a grid. A committee of two-mode models, each fitted on a
// bootstrap resample of what is measured, predicts every candidate; candidates score by
//  - disagreement: the spread of the committee's log predictions (where the data is thin);
//  - kernel-switch boundaries: members that expect different kernels for the candidate;
//  - step edges: the full model's wave count changes between the candidate and its neighbour
//    one output channel away, where a staircase's position is decided.
// Picks are spread out: a candidate close to one already picked in this round counts half; and
// every other pick is random, so the typical layers stay covered.
// With too few measurements for a model, the most distant candidates from the measured ones are
// picked (space filling).

#include <cstdint>
#include <vector>

#include "model/latency/latency_model.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {

// Indices into `candidates`, at most `count`, best first.
std::vector<size_t> ChooseInformative(const std::vector<ConvShape>& candidates, const std::vector<Sample>& measured,
                                      size_t count, const HardwareInfo& hardware, uint64_t seed);

}  // namespace convlat::model
