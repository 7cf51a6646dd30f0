// CONVLAT_HAVE_ONEDNN is defined on this file when the agent is built with oneDNN
// (profiler_agent/CMakeLists.txt): the calibration runs networks with the oneDNN runner.
#include "profiler_agent/calibrate_command.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/datasets/csv_reader.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"
#include "model/onnx/weight_stripping.h"
#include "model/residency/cache_residency.h"
#include "model/residency/hot_gain_calibration.h"
#include "profiler_agent/backend/conv_backend.h"
#include "profiler_agent/backend/network_run.h"
#include "profiler_agent/machine_busy_warning.h"
#include "profiler_agent/progress.h"

#if CONVLAT_HAVE_ONEDNN
#include "profiler_agent/onednn/network_runner.h"
#endif

namespace convlat::agent {
#if CONVLAT_HAVE_ONEDNN
namespace {

// Two runs of one network further apart than this say the machine's speed changed while it was
// calibrated (docs/accuracy.md saw up to 1.4x within half an hour on a shared VM).
constexpr double kMaxRunDisagreement = 1.15;

struct LayerTiming {
  double evicted_us = 0;
  double hot_us = 0;
};

struct CalibratedRun {
  model::CalibrationNetwork network;
  double first_run_us = 0;              // the timed layers' share of a pass, before they were timed alone
  double second_run_us = 0;             // ... and after
  int left_out = 0;                     // layers the runner skipped or the agent could not time hot
  std::vector<std::string> layer_rows;  // for --layers_out
};

constexpr char kLayersHeader[] = "network,layer,op,spec,in_network_us,evicted_us,hot_us,hot_share\n";

absl::StatusOr<std::vector<model::NetworkLayer>> LoadLayers(const std::string& path, v1::Layout layout) {
  absl::StatusOr<std::string> onnx = model::ReadOnnxFileWithoutWeights(path);
  if (!onnx.ok()) return onnx.status();
  absl::StatusOr<std::vector<model::NetworkLayer>> layers = model::ImportOnnx(*onnx, {.batch = 1});
  if (!layers.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", layers.status().message()));
  for (model::NetworkLayer& layer : *layers) {
    if (layer.conv) layer.conv->set_layout(layout);
    if (layer.op_params) layer.op_params->set_layout(layout);
  }
  return layers;
}

absl::flat_hash_map<std::string, double> MediansByName(const NetworkRun& run) {
  absl::flat_hash_map<std::string, double> medians;
  for (const NetworkRunLayer& layer : run.layers) medians[layer.name] = layer.median_us;
  return medians;
}

// The layer alone, evicted and hot, under the spread check; nothing when it failed or has no hot
// timing. Identical layers (a network repeats its blocks) are timed once.
std::optional<LayerTiming> TimeAlone(ConvBackend& backend, const model::NetworkLayer& layer,
                                     const CalibrateCommandOptions& options,
                                     absl::flat_hash_map<std::string, std::optional<LayerTiming>>& timed) {
  const std::string key = layer.conv ? model::FormatConvSpec(*layer.conv) : model::FormatOpSpec(*layer.op_params);
  if (auto it = timed.find(key); it != timed.end()) return it->second;
  const CheckedConfig checked = MeasureChecked(
      [&] {
        return layer.conv ? backend.Measure(*layer.conv, options.timing)
                          : std::vector<v1::Measurement>{backend.MeasureOp(*layer.op_params, options.timing)};
      },
      [&] { return backend.SmClockMhz(); }, options.noise);
  std::optional<LayerTiming> timing;
  if (!checked.measurements.empty()) {
    const v1::Measurement& m = checked.measurements.front();
    if (!m.failed() && m.latency().median_us() > 0 && m.hot_latency().median_us() > 0) {
      timing = LayerTiming{.evicted_us = m.latency().median_us(), .hot_us = m.hot_latency().median_us()};
    }
  }
  timed[key] = timing;
  return timing;
}

absl::StatusOr<CalibratedRun> CalibrateOn(ConvBackend& backend, const std::string& path,
                                          const std::vector<model::NetworkLayer>& layers, int64_t cache_bytes,
                                          const CalibrateCommandOptions& options) {
  absl::StatusOr<NetworkRun> before = RunNetworkOnOneDnn(layers, options.layout, options.runs);
  if (!before.ok()) return absl::Status(before.status().code(), absl::StrCat(path, ": ", before.status().message()));
  const absl::flat_hash_map<std::string, double> first = MediansByName(*before);

  const model::NetworkResidency residency = model::EstimateCacheResidency(layers, cache_bytes);
  std::vector<std::optional<LayerTiming>> alone(layers.size());
  absl::flat_hash_map<std::string, std::optional<LayerTiming>> timed;
  ProgressBar progress(static_cast<int>(layers.size()), std::cerr, isatty(STDERR_FILENO) != 0);
  for (size_t i = 0; i < layers.size(); ++i) {
    const model::NetworkLayer& layer = layers[i];
    if ((layer.conv || layer.op_params) && first.contains(layer.name)) {
      alone[i] = TimeAlone(backend, layer, options, timed);
    }
    progress.Advance(layer.name);
  }
  progress.Finish();

  absl::StatusOr<NetworkRun> after = RunNetworkOnOneDnn(layers, options.layout, options.runs);
  if (!after.ok()) return absl::Status(after.status().code(), absl::StrCat(path, ": ", after.status().message()));
  const absl::flat_hash_map<std::string, double> second = MediansByName(*after);

  CalibratedRun result;
  result.network.name = std::filesystem::path(path).stem().string();
  for (size_t i = 0; i < layers.size(); ++i) {
    const model::NetworkLayer& layer = layers[i];
    if (!layer.conv && !layer.op_params) continue;  // nothing a runtime executes (reshapes, ...)
    auto in_first = first.find(layer.name);
    auto in_second = second.find(layer.name);
    if (!alone[i] || in_first == first.end() || in_second == second.end()) {
      ++result.left_out;
      continue;
    }
    result.network.layers.push_back(
        {.evicted_us = alone[i]->evicted_us, .hot_us = alone[i]->hot_us, .hot_share = residency.layers[i].hot_share});
    result.layer_rows.push_back(absl::StrFormat(
        "%s,%s,%s,%s,%.3f,%.3f,%.3f,%.4f\n", model::CsvCell(result.network.name), model::CsvCell(layer.name),
        model::CsvCell(layer.op),
        model::CsvCell(layer.conv ? model::FormatConvSpec(*layer.conv) : model::FormatOpSpec(*layer.op_params)),
        (in_first->second + in_second->second) / 2, alone[i]->evicted_us, alone[i]->hot_us,
        residency.layers[i].hot_share));
    result.first_run_us += in_first->second;
    result.second_run_us += in_second->second;
  }
  // The mean of the runs either side of the layers' timings: drift between them cancels to first order.
  result.network.measured_us = (result.first_run_us + result.second_run_us) / 2;
  return result;
}

double ErrorPercent(double predicted, double measured) { return 100 * (predicted / measured - 1); }

// The platform's description as `run` registers it, with this calibration, merged onto what the
// spool already holds for it (so other layouts' factors stay).
absl::Status SpoolCalibration(Spool& spool, v1::Platform described, const std::string& layout, double kept) {
  described.clear_hot_gain_kept();
  (*described.mutable_hot_gain_kept())[layout] = kept;
  absl::StatusOr<std::vector<v1::Platform>> spooled = spool.Platforms();
  if (!spooled.ok()) return spooled.status();
  v1::Platform merged;
  for (const v1::Platform& platform : *spooled) {
    if (platform.name() == described.name()) merged = platform;
  }
  merged.MergeFrom(described);
  return spool.SavePlatform(merged);
}

}  // namespace
#endif  // CONVLAT_HAVE_ONEDNN

int RunCalibrateCommand(const CalibrateCommandOptions& options, Spool& spool, Pusher& pusher, std::ostream& out,
                        std::ostream& err) {
  if (options.onnx_paths.empty()) {
    err << "error: calibrate takes one or more ONNX networks to run (e.g. a torchvision export)\n";
    return 2;
  }
  if (options.platform.empty()) {
    err << "error: --platform is required: the platform the calibration is recorded with\n";
    return 2;
  }
  if (options.runs < 1) {
    err << "error: --runs must be >= 1, got " << options.runs << "\n";
    return 2;
  }
  if (options.layout == v1::LAYOUT_NHWC) {
    err << "error: --layout: the cpu runner runs nchw or native\n";
    return 2;
  }
#if !CONVLAT_HAVE_ONEDNN
  err << "error: calibrate runs networks with oneDNN; this agent was built without it (CONVLAT_WITH_ONEDNN=OFF)\n";
  return 1;
#else
  // Every file is read before anything is timed: a wrong path fails at once.
  std::vector<std::vector<model::NetworkLayer>> loaded;
  for (const std::string& path : options.onnx_paths) {
    absl::StatusOr<std::vector<model::NetworkLayer>> layers = LoadLayers(path, options.layout);
    if (!layers.ok()) {
      err << "error: " << layers.status().message() << "\n";
      return 2;
    }
    loaded.push_back(*std::move(layers));
  }
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeBackend(
      "cpu", {.last_level_cache_bytes = options.last_level_cache_bytes, .scrubber_bytes = options.scrubber_bytes});
  if (!backend.ok()) {
    err << "error: " << backend.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<v1::Platform> described = (*backend)->DescribePlatform();
  if (!described.ok()) {
    err << "error: " << described.status().message() << "\n";
    return 1;
  }
  described->set_name(options.platform);
  const int64_t cache_bytes = described->last_level_cache_bytes();
  if (cache_bytes <= 0) {
    err << "error: this machine does not say its last-level cache; give --last_level_cache_bytes (the size one "
           "core sees, the same the platform's measurements were imported or run with)\n";
    return 2;
  }

  std::ofstream layers_out;
  if (!options.layers_out.empty()) {
    layers_out.open(options.layers_out);
    if (!layers_out) {
      err << "error: --layers_out: cannot write " << options.layers_out << "\n";
      return 2;
    }
    layers_out << kLayersHeader;
  }
  WarnIfMachineBusy("the calibration",
                    "The networks and their layers timed now run slower and unevenly, and the factor fitted on them "
                    "is unreliable; stop other work on this machine (or use a quiet one) and calibrate again");
  std::vector<model::CalibrationNetwork> networks;
  for (size_t n = 0; n < options.onnx_paths.size(); ++n) {
    absl::StatusOr<CalibratedRun> run = CalibrateOn(**backend, options.onnx_paths[n], loaded[n], cache_bytes, options);
    if (!run.ok()) {
      err << "error: " << run.status().message() << "\n";
      return absl::IsInvalidArgument(run.status()) || absl::IsNotFound(run.status()) ? 2 : 1;
    }
    const double disagreement = std::max(run->first_run_us, run->second_run_us) /
                                std::max(1e-9, std::min(run->first_run_us, run->second_run_us));
    if (disagreement > kMaxRunDisagreement) {
      err << absl::StrFormat(
          "WARNING: %s took %.2f ms before its layers were timed alone and %.2f ms after: this machine's speed "
          "changed during the calibration; its factor is less reliable (calibrate again on a quiet machine)\n",
          run->network.name, run->first_run_us / 1000, run->second_run_us / 1000);
    }
    if (run->left_out > 0) {
      err << run->network.name << ": " << run->left_out
          << " layers left out (the runner skipped them, or they have no hot timing)\n";
    }
    for (const std::string& row : run->layer_rows) layers_out << row;
    networks.push_back(std::move(run->network));
  }
  absl::StatusOr<model::HotGainFit> fit = model::FitHotGainKept(networks);
  if (!fit.ok()) {
    err << "error: " << fit.status().message() << "\n";
    return 1;
  }
  const std::string layout = model::LayoutName(options.layout);
  out << absl::StrFormat("%-24s %12s %22s %22s %22s\n", "network (" + layout + ")", "measured ms", "all evicted ms",
                         "whole hot pull ms", "calibrated ms");
  for (const model::CalibratedNetwork& n : fit->networks) {
    out << absl::StrFormat("%-24s %12.2f %12.2f (%+4.0f %%) %12.2f (%+4.0f %%) %12.2f (%+4.0f %%)\n", n.name,
                           n.measured_us / 1000, n.evicted_us / 1000, ErrorPercent(n.evicted_us, n.measured_us),
                           n.walk_us / 1000, ErrorPercent(n.walk_us, n.measured_us), n.fitted_us / 1000,
                           ErrorPercent(n.fitted_us, n.measured_us));
  }
  out << absl::StrFormat(
      "hot_gain_kept[%s] = %.3f: layers keep %.0f %% of their hot gain inside networks on '%s' (%.1f MiB "
      "last-level cache)\n",
      layout, fit->kept, 100 * fit->kept, options.platform, static_cast<double>(cache_bytes) / (1 << 20));
  if (fit->unclamped < 0) {
    err << absl::StrFormat(
        "WARNING: the layers ran slower inside these networks than timed alone with the caches evicted (the fit "
        "wants %.2f); the factor is held at 0. Either the scrubber left their data cached (give --scrubber_bytes as "
        "large as the sweep's), or the networks' remaining gap is not a matter of the cache\n",
        fit->unclamped);
  } else if (fit->unclamped > 1) {
    err << absl::StrFormat(
        "WARNING: the networks ran faster than even the whole hot pull expects (the fit wants %.2f); the factor is "
        "held at 1: the last-level cache size may be too small\n",
        fit->unclamped);
  }
  if (absl::Status s = SpoolCalibration(spool, *described, layout, fit->kept); !s.ok()) {
    err << "error: " << s.message() << "\n";
    return 1;
  }
  if (!Deliver(pusher, spool, options.delivery, {.platform = options.platform, .backend = (*backend)->name()}).ok()) {
    err << "the calibration stays in spool " << spool.dir() << " with the platform's description; `convlat-agent "
        << "flush --server " << options.delivery.server << " --spool " << spool.dir() << "` delivers it\n";
    return 1;
  }
  return 0;
#endif
}

}  // namespace convlat::agent
