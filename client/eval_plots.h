#pragma once
// convlat-eval --plot_dir: the pictures of docs/accuracy.md for one platform, as SVG files named
// after it (`<platform>-predicted-vs-measured.svg`, `-learning-curve.svg`, `-staircase.svg`).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "model/eval/evaluation.h"

namespace convlat::client {

struct EvalPlotData {
  std::string platform;  // the title's name; lower-cased into the file names
  const std::vector<model::Sample>* samples = nullptr;
  const model::SampleSplit* split = nullptr;
  const std::vector<model::ModelFitter>* fitters = nullptr;
  model::HardwareInfo hardware;
  std::string best_baseline;                   // the baseline drawn beside the two-mode model
  std::vector<model::EvaluationResult> curve;  // learning-curve rows of every model (none: no plot)
  std::string sweep = "k";                     // the staircase's parameter: n, c, k or h
};

// "Tesla T4" -> "tesla-t4": the platform's part of the file names.
std::string PlotFileStem(const std::string& platform);

// Writes the three plots into `dir` (which must exist); the paths written go to `written`.
absl::Status WriteEvalPlots(const std::string& dir, const EvalPlotData& data, std::vector<std::string>& written);

// The GPU slice of the staircase plot: the public GPU data has no dense sweep, so it takes the
// largest set of layers that share every parameter but `sweep` up to `tolerance` (sizes n, c, h, w
// relative; filter, stride, padding, groups and types exactly), around the layer that has most.
struct LayerSlice {
  model::ConvShape anchor;
  std::vector<const model::Sample*> members;
};
absl::StatusOr<LayerSlice> LargestSlice(const std::vector<model::Sample>& samples, const std::string& sweep,
                                        double tolerance);
// The swept parameter of a layer (n, c, k or h: h and w move together), and a copy with it set.
int64_t SweptValue(const model::ConvShape& shape, const std::string& sweep);
model::ConvShape WithSwept(model::ConvShape shape, const std::string& sweep, int64_t value);

}  // namespace convlat::client
