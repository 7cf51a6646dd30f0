#include "client/eval_plots.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/svg_plot.h"

namespace convlat::client {
namespace {

// A scatter keeps at most this many points per series (evenly spaced in the test order, which
// is already shuffled), so each file stays well under 300 KB.
constexpr size_t kMaxScatterPoints = 1200;
// The staircase slice: sizes within this share of the anchor layer's.
constexpr double kSliceTolerance = 0.2;
constexpr int kMaxSweepSteps = 2000;

const char* ModelColor(const std::string& model) {
  static const std::map<std::string, const char*> colors = {
      {"two-mode", "#d62728"},          {"roofline", "#9467bd"},     {"flops-linear", "#8c564b"},
      {"nearest-neighbour", "#e377c2"}, {"xgboost-gbdt", "#1f77b4"}, {"random-forest", "#ff7f0e"}};
  const auto it = colors.find(model);
  return it != colors.end() ? it->second : "#7f7f7f";
}

auto ShapeKey(const model::ConvShape& s) {
  return std::tuple(s.n, s.c, s.h, s.w, s.k, s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h,
                    s.dilation_w, s.groups, s.dtype, s.layout, s.math_mode);
}

// The two models the plots draw, fitted once on the training layers (a two-mode fit on 10k layers
// takes minutes); a model that is not among --models or failed to fit is left out.
using FittedModels = std::vector<std::pair<std::string, std::unique_ptr<model::LatencyModel>>>;

FittedModels FitPlottedModels(const EvalPlotData& data) {
  FittedModels fitted;
  for (const std::string& name : {std::string("two-mode"), data.best_baseline}) {
    for (const model::ModelFitter& fitter : *data.fitters) {
      if (name.empty() || fitter.name != name) continue;
      absl::StatusOr<std::unique_ptr<model::LatencyModel>> model = fitter.fit(data.split->train, data.hardware);
      if (model.ok()) fitted.emplace_back(name, std::move(*model));
    }
  }
  return fitted;
}

absl::Status WriteFile(const std::string& path, const std::string& svg, std::vector<std::string>& written) {
  std::ofstream out(path);
  out << svg;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("--plot_dir: cannot write ", path));
  written.push_back(path);
  return absl::OkStatus();
}

// Predicted against measured latency of the held-out layers, log-log, with y = x and ±10 %.
absl::StatusOr<std::string> PredictedVsMeasured(const EvalPlotData& data, const FittedModels& models) {
  std::vector<PlotSeries> series;
  double lo = 1e300, hi = 0;
  const size_t stride = std::max<size_t>(1, (data.split->test.size() + kMaxScatterPoints - 1) / kMaxScatterPoints);
  for (const auto& [name, fitted] : models) {
    std::vector<double> predicted, measured;
    PlotSeries points{"", ModelColor(name), true, {}};
    for (size_t i = 0; i < data.split->test.size(); ++i) {
      const model::Sample& s = data.split->test[i];
      predicted.push_back(fitted->Predict(s.shape).latency_us);
      measured.push_back(s.latency_us);
      lo = std::min(lo, s.latency_us), hi = std::max(hi, s.latency_us);
      if (i % stride == 0) points.xy.push_back({s.latency_us, predicted.back()});
    }
    const model::ErrorSummary errors = model::SummarizeErrors(predicted, measured);
    points.label = absl::StrFormat("%s%s: MAPE %.1f %%, %.0f %% within ±10 %%", name,
                                   name == "two-mode" ? "" : " (best baseline)", errors.mape, 100 * errors.within_10);
    series.push_back(std::move(points));
  }
  if (series.empty()) return absl::FailedPreconditionError("no model could be fitted for the plot");
  series.push_back({"predicted = measured", "#222", false, {{lo, lo}, {hi, hi}}, true});
  series.push_back({"±10 %", "#999", false, {{lo, 1.1 * lo}, {hi, 1.1 * hi}}, true});
  series.push_back({"", "#999", false, {{lo, 0.9 * lo}, {hi, 0.9 * hi}}, true});  // no second legend entry
  const size_t shown = series.front().xy.size();
  return RenderSvgPlot(
      PlotOptions{.title = absl::StrFormat("%s: predicted vs measured, %zu held-out layers%s", data.platform,
                                           data.split->test.size(),
                                           shown < data.split->test.size() ? absl::StrCat(" (", shown, " drawn)") : ""),
                  .x_label = "measured latency (µs)",
                  .y_label = "predicted latency (µs)",
                  .log_x = true,
                  .log_y = true},
      series);
}

// Held-out MAPE against the number of training layers, one line per model.
std::string LearningCurves(const EvalPlotData& data) {
  std::map<std::string, PlotSeries> by_model;
  std::vector<std::string> order;
  for (const model::EvaluationResult& r : data.curve) {
    if (!r.failure.empty() || r.train_size == 0) continue;
    auto [it, inserted] = by_model.try_emplace(r.model, PlotSeries{r.model, ModelColor(r.model), false, {}});
    if (inserted) order.push_back(r.model);
    it->second.xy.push_back({double(r.train_size), r.errors.mape});
  }
  std::vector<PlotSeries> series;
  for (const std::string& name : order) series.push_back(by_model[name]);
  return RenderSvgPlot(
      PlotOptions{.title = absl::StrCat(data.platform, ": learning curves on the same held-out layers"),
                  .x_label = "training layers",
                  .y_label = "held-out MAPE (%)",
                  .log_x = true,
                  .log_y = true},
      series);
}

// Latency along one parameter for a slice of similar layers: the measured points (training and
// held out apart), the two-mode model's staircase with the kernel switches it predicts marked, and
// the best baseline.
absl::StatusOr<std::string> Staircase(const EvalPlotData& data, const FittedModels& models) {
  absl::StatusOr<LayerSlice> slice = LargestSlice(*data.samples, data.sweep, kSliceTolerance);
  if (!slice.ok()) return slice.status();
  std::set<decltype(ShapeKey(model::ConvShape{}))> held_out;
  for (const model::Sample& s : data.split->test) held_out.insert(ShapeKey(s.shape));
  PlotSeries train{"measured (training layer)", "#222", true, {}}, test{"measured (held out)", "#17becf", true, {}};
  int64_t top = 1;
  for (const model::Sample* s : slice->members) {
    const int64_t x = SweptValue(s->shape, data.sweep);
    top = std::max(top, x);
    (held_out.contains(ShapeKey(s->shape)) ? test : train).xy.push_back({double(x), s->latency_us});
  }
  std::vector<PlotSeries> series{train, test};
  std::vector<double> switches;
  const int64_t step = std::max<int64_t>(1, top / kMaxSweepSteps);
  for (const auto& [name, fitted] : models) {
    PlotSeries line{name == "two-mode" ? "two-mode model" : name + " (best baseline)", ModelColor(name), false, {}};
    std::string previous_kernel;
    for (int64_t v = 1; v <= top + top / 20; v += step) {
      const model::Prediction p = fitted->Predict(WithSwept(slice->anchor, data.sweep, v));
      line.xy.push_back({double(v), p.latency_us});
      const std::string kernel = p.explanation.kernel() + "|" + p.explanation.tile();
      if (name == "two-mode" && v > 1 && kernel != previous_kernel) switches.push_back(v - step / 2.0);
      previous_kernel = kernel;
    }
    series.push_back(std::move(line));
  }
  const model::ConvShape& a = slice->anchor;
  std::string fixed;
  for (const char* p : {"n", "c", "k", "h"}) {
    if (data.sweep != p) absl::StrAppend(&fixed, fixed.empty() ? "" : ",", p, "=", SweptValue(a, p));
  }
  return RenderSvgPlot(
      PlotOptions{
          .title = absl::StrFormat("%s: %zu layers like %s (±%.0f %%), r=%d, stride %d; %s swept", data.platform,
                                   slice->members.size(), fixed, 100 * kSliceTolerance, a.r, a.stride_h, data.sweep),
          .x_label = data.sweep == "n"   ? "batch (n)"
                     : data.sweep == "c" ? "input channels (c)"
                     : data.sweep == "k" ? "output channels (k)"
                                         : "input height = width (h)",
          .y_label = "latency (µs)",
          .x_marks = switches,
          .x_marks_label = "predicted kernel or tile changes"},
      series);
}

}  // namespace

std::string PlotFileStem(const std::string& platform) {
  std::string stem;
  for (char c : absl::AsciiStrToLower(platform)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      stem += c;
    } else if (!stem.empty() && stem.back() != '-') {
      stem += '-';
    }
  }
  while (!stem.empty() && stem.back() == '-') stem.pop_back();
  return stem.empty() ? "platform" : stem;
}

int64_t SweptValue(const model::ConvShape& shape, const std::string& sweep) {
  if (sweep == "n") return shape.n;
  if (sweep == "c") return shape.c;
  if (sweep == "k") return shape.k;
  return shape.h;
}

model::ConvShape WithSwept(model::ConvShape shape, const std::string& sweep, int64_t value) {
  if (sweep == "n") shape.n = value;
  if (sweep == "c") shape.c = value;
  if (sweep == "k") shape.k = value;
  if (sweep == "h") shape.h = shape.w = value;
  return shape;
}

absl::StatusOr<LayerSlice> LargestSlice(const std::vector<model::Sample>& samples, const std::string& sweep,
                                        double tolerance) {
  if (sweep != "n" && sweep != "c" && sweep != "k" && sweep != "h") {
    return absl::InvalidArgumentError(absl::StrCat("--plot_sweep must be n, c, k or h, got '", sweep, "'"));
  }
  auto near = [&](int64_t a, int64_t b) { return std::abs(double(a - b)) <= tolerance * double(a); };
  auto same_slice = [&](const model::ConvShape& a, const model::ConvShape& b) {
    const auto exact = [](const model::ConvShape& s) {
      return std::tuple(s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h, s.dilation_w, s.groups,
                        s.dtype, s.layout, s.math_mode);
    };
    if (exact(a) != exact(b)) return false;
    for (const char* p : {"n", "c", "k"}) {
      if (sweep != p && !near(SweptValue(a, p), SweptValue(b, p))) return false;
    }
    return sweep == "h" || (near(a.h, b.h) && near(a.w, b.w));
  };
  LayerSlice best;
  for (const model::Sample& anchor : samples) {
    LayerSlice slice{anchor.shape, {}};
    for (const model::Sample& s : samples) {
      if (same_slice(anchor.shape, s.shape)) slice.members.push_back(&s);
    }
    if (slice.members.size() > best.members.size()) best = std::move(slice);
  }
  if (best.members.size() < 3) {
    return absl::FailedPreconditionError(absl::StrCat("no three layers differ only in ", sweep, " (±", 100 * tolerance,
                                                      " % in the others): no staircase to draw"));
  }
  return best;
}

absl::Status WriteEvalPlots(const std::string& dir, const EvalPlotData& data, std::vector<std::string>& written) {
  const std::string stem = absl::StrCat(dir, "/", PlotFileStem(data.platform));
  const FittedModels models = FitPlottedModels(data);
  absl::StatusOr<std::string> scatter = PredictedVsMeasured(data, models);
  if (!scatter.ok()) return scatter.status();
  if (absl::Status s = WriteFile(stem + "-predicted-vs-measured.svg", *scatter, written); !s.ok()) return s;
  if (!data.curve.empty()) {
    if (absl::Status s = WriteFile(stem + "-learning-curve.svg", LearningCurves(data), written); !s.ok()) return s;
  }
  absl::StatusOr<std::string> staircase = Staircase(data, models);
  if (!staircase.ok()) return staircase.status();
  return WriteFile(stem + "-staircase.svg", *staircase, written);
}

}  // namespace convlat::client
