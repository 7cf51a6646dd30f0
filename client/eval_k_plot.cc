#include "client/eval_k_plot.h"

#include <algorithm>
#include <fstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "client/svg_plot.h"
#include "model/layers/conv_spec.h"

namespace convlat::client {
namespace {

bool SameLayerExceptK(const model::ConvShape& a, const model::ConvShape& b) {
  auto key = [](const model::ConvShape& s) {
    return std::tuple(s.n, s.c, s.h, s.w, s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h,
                      s.dilation_w, s.groups, s.dtype, s.layout, s.math_mode);
  };
  return key(a) == key(b);
}

}  // namespace

absl::Status WriteKSweepPlot(const std::string& path, const std::string& layer_spec, int k_max, const EvalDataset& data,
                             const model::SampleSplit& split, const std::vector<model::ModelFitter>& fitters,
                             const std::string& best_baseline, std::ostream& out) {
  absl::StatusOr<v1::ConvParams> params = model::ParseConvSpec(layer_spec);
  if (!params.ok()) return absl::InvalidArgumentError(absl::StrCat("--plot_layer: ", params.status().message()));
  params->set_k(1);
  const model::ConvShape layer = model::ResolveConvShape(*params);
  std::vector<PlotSeries> series;
  PlotSeries measured{"measured", "#222", true, {}};
  for (const model::Sample& s : data.samples) {
    if (SameLayerExceptK(s.shape, layer)) measured.xy.push_back({double(s.shape.k), s.latency_us});
  }
  series.push_back(measured);
  const std::pair<const char*, const char*> colors[] = {{"two-mode", "#d62728"}, {"", "#1f77b4"}};
  for (const auto& [name, color] : colors) {
    const std::string model_name = *name ? name : best_baseline;
    auto fitter = std::find_if(fitters.begin(), fitters.end(), [&](const auto& f) { return f.name == model_name; });
    if (fitter == fitters.end()) continue;
    absl::StatusOr<std::unique_ptr<model::LatencyModel>> fitted = fitter->fit(split.train, data.hardware);
    if (!fitted.ok()) continue;
    PlotSeries line{model_name + (*name ? "" : " (best baseline)"), color, false, {}};
    for (int k = 1; k <= k_max; ++k) {
      model::ConvShape shape = layer;
      shape.k = k;
      line.xy.push_back({double(k), (*fitted)->Predict(shape).latency_us});
    }
    series.push_back(line);
  }
  std::ofstream file(path);
  file << RenderSvgPlot(absl::StrCat(data.name, ": ", layer_spec, ", k swept"), "output channels (k)", "latency (µs)",
                        series);
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  out << "\nPlot: " << path << " (" << measured.xy.size() << " measured points)\n";
  return absl::OkStatus();
}

}  // namespace convlat::client
