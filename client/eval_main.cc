// convlat-eval: every latency model side by side on the same held-out layers of a platform, with
// learning curves, active vs random sampling, and a staircase plot. Reads a public NeuSight CSV
// or a platform from a convlat store. Prints Markdown (what docs/accuracy.md is made of).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/eval_plots.h"
#include "client/eval_transfer.h"
#include "client/svg_plot.h"
#include "model/datasets/justus_dataset.h"
#include "model/datasets/measurements_csv.h"
#include "model/datasets/neusight_dataset.h"
#include "model/eval/evaluation.h"
#include "model/eval/interval_evaluation.h"
#include "model/eval/op_evaluation.h"
#include "model/layers/conv_spec.h"
#include "model/two_mode/grid_mapping.h"
#include "model/two_mode/two_mode_model.h"
#include "server/measurement_store.h"

ABSL_FLAG(std::string, neusight, "", "a NeuSight conv CSV (data/public/neusight-conv3x3/*.csv)");
ABSL_FLAG(std::string, justus, "", "a Justus et al. conv CSV (data/public/justus-conv/*.csv)");
ABSL_FLAG(std::string, csv, "",
          "convlat measurements CSVs, comma-separated (docs/measurements-csv.md, e.g. data/measurements/*/*.csv)");
ABSL_FLAG(int32_t, compute_units, 0, "--csv: the device's SMs or cores (0: unknown, the fit searches concurrency)");
ABSL_FLAG(std::string, db, "", "a convlat store (SQLite path), with --platform");
ABSL_FLAG(std::string, platform, "", "platform name in --db");
ABSL_FLAG(std::string, models, "two-mode,roofline,flops-linear,nearest-neighbour,xgboost-gbdt,random-forest",
          "comma-separated models to compare");
ABSL_FLAG(double, test_fraction, 0.2, "share of the layers held out for testing");
ABSL_FLAG(uint64_t, seed, 1, "seed of the split and of the subsets");
ABSL_FLAG(int32_t, folds, 0, "also report k-fold cross-validation with this many folds (0: off)");
ABSL_FLAG(std::string, curve, "25,50,100,200,500,1000", "training-set sizes of the learning curve (empty: off)");
ABSL_FLAG(int32_t, repeats, 3, "random training subsets per learning-curve size");
ABSL_FLAG(std::string, active, "", "training-set sizes for active vs random sampling, e.g. 25,50,100,200 (empty: off)");
ABSL_FLAG(std::string, plot, "", "write an SVG of latency vs output channels to this file");
ABSL_FLAG(std::string, plot_layer, "", "the layer of the plot (its k is swept), e.g. n=1,c=64,h=56,w=56,r=3,s=3,pad=1");
ABSL_FLAG(int32_t, plot_k_max, 256, "largest output-channel count of the plot");
ABSL_FLAG(bool, intervals, true,
          "report the 80 % prediction intervals' coverage of held-out layers (the first of --models), on all "
          "training layers and at each --curve size");
ABSL_FLAG(bool, intervals_all_layers, true,
          "--intervals: also on all training layers (off: the --curve sizes only; a two-mode fit on 10k+ layers "
          "takes minutes)");
ABSL_FLAG(bool, intervals_only, false, "report the prediction intervals alone (no model comparison)");
ABSL_FLAG(bool, transfer, false, "leave-one-GPU-out transfer matrix over the public GPUs (see --datasets)");
ABSL_FLAG(std::string, datasets, "data/public", "--transfer: the public datasets directory");
ABSL_FLAG(std::string, plot_dir, "", "write SVGs (predicted vs measured, learning curves, a staircase) into DIR");
ABSL_FLAG(std::string, plot_sweep, "k", "--plot_dir: the staircase's swept parameter (n, c, k or h)");
ABSL_FLAG(bool, hide_kernel_names, false, "rename every kernel (tiles from the launch grids, not names)");
ABSL_FLAG(int32_t, worst, 0, "list the two-mode model's this many worst held-out layers, with its explanation");

namespace convlat {
namespace {

struct Dataset {
  std::string name;
  std::vector<model::Sample> samples;
  model::HardwareInfo hardware;
  std::vector<model::OpSample> ops;  // the other ops measured (pooling, activations, ...)
};

absl::StatusOr<Dataset> LoadDataset() {
  const std::string neusight = absl::GetFlag(FLAGS_neusight), justus = absl::GetFlag(FLAGS_justus),
                    csv = absl::GetFlag(FLAGS_csv), db = absl::GetFlag(FLAGS_db);
  if (neusight.empty() + justus.empty() + csv.empty() + db.empty() != 3) {
    return absl::InvalidArgumentError("give exactly one of --neusight, --justus, --csv or --db");
  }
  if (!justus.empty()) {
    absl::StatusOr<model::JustusDataset> data = model::LoadJustusCsv(justus);
    if (!data.ok()) return data.status();
    return Dataset{data->device, model::SamplesFromMeasurements(data->measurements), model::HardwareOf(data->platform)};
  }
  if (!neusight.empty()) {
    absl::StatusOr<model::NeuSightDataset> data = model::LoadNeuSightCsv(neusight);
    if (!data.ok()) return data.status();
    return Dataset{data->device, model::SamplesFromMeasurements(data->measurements), model::HardwareOf(data->platform)};
  }
  if (!csv.empty()) {
    std::vector<v1::Measurement> measurements;
    for (absl::string_view path : absl::StrSplit(csv, ',', absl::SkipEmpty())) {
      std::ifstream in{std::string(path)};
      if (!in) return absl::NotFoundError(absl::StrCat("--csv: cannot open ", path));
      absl::StatusOr<std::vector<v1::Measurement>> rows =
          model::ParseMeasurementsCsv(in, std::string(path), "convlat-eval");
      if (!rows.ok()) return rows.status();
      measurements.insert(measurements.end(), rows->begin(), rows->end());
    }
    const std::string name = absl::GetFlag(FLAGS_platform).empty() ? csv : absl::GetFlag(FLAGS_platform);
    return Dataset{name, model::SamplesFromMeasurements(measurements),
                   model::HardwareInfo{.compute_units = absl::GetFlag(FLAGS_compute_units)},
                   model::OpSamplesFromMeasurements(measurements)};
  }
  const std::string platform = absl::GetFlag(FLAGS_platform);
  if (platform.empty()) return absl::InvalidArgumentError("--db needs --platform");
  absl::StatusOr<std::unique_ptr<server::MeasurementStore>> store = server::OpenMeasurementStore(db);
  if (!store.ok()) return store.status();
  absl::StatusOr<v1::Platform> info = (*store)->GetPlatform(platform);
  if (!info.ok()) return info.status();
  absl::StatusOr<std::vector<v1::Measurement>> measurements = (*store)->LoadMeasurements(platform);
  if (!measurements.ok()) return measurements.status();
  return Dataset{platform + " (" + info->device_name() + ")", model::SamplesFromMeasurements(*measurements),
                 model::HardwareOf(*info), model::OpSamplesFromMeasurements(*measurements)};
}

absl::StatusOr<std::vector<size_t>> ParseSizes(const std::string& text, const char* flag) {
  std::vector<size_t> sizes;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    size_t size = 0;
    if (!absl::SimpleAtoi(part, &size) || size == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": '", part, "' is not a positive count"));
    }
    sizes.push_back(size);
  }
  return sizes;
}

std::string Row(const model::EvaluationResult& r) {
  if (!r.failure.empty())
    return absl::StrFormat("| %s | %zu | fit failed: %s | | | |", r.model, r.train_size, r.failure);
  return absl::StrFormat("| %s | %zu | %.1f | %.1f | %.1f | %.3f |", r.model, r.train_size, r.errors.mape,
                         r.errors.rmspe, 100 * r.errors.within_10, r.fit_seconds);
}

constexpr char kTableHeader[] =
    "| model | train layers | MAPE % | RMSPE % | within ±10% | fit s |\n|---|---|---|---|---|---|";

bool SameLayerExceptK(const model::ConvShape& a, const model::ConvShape& b) {
  auto key = [](const model::ConvShape& s) {
    return std::tuple(s.n, s.c, s.h, s.w, s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h,
                      s.dilation_w, s.groups, s.dtype, s.layout, s.math_mode);
  };
  return key(a) == key(b);
}

absl::Status WritePlot(const std::string& path, const Dataset& data, const model::SampleSplit& split,
                       const std::vector<model::ModelFitter>& fitters, const std::string& best_baseline) {
  absl::StatusOr<v1::ConvParams> params = model::ParseConvSpec(absl::GetFlag(FLAGS_plot_layer));
  if (!params.ok()) return absl::InvalidArgumentError(absl::StrCat("--plot_layer: ", params.status().message()));
  params->set_k(1);
  const model::ConvShape layer = model::ResolveConvShape(*params);
  std::vector<client::PlotSeries> series;
  client::PlotSeries measured{"measured", "#222", true, {}};
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
    client::PlotSeries line{model_name + (*name ? "" : " (best baseline)"), color, false, {}};
    for (int k = 1; k <= absl::GetFlag(FLAGS_plot_k_max); ++k) {
      model::ConvShape shape = layer;
      shape.k = k;
      line.xy.push_back({double(k), (*fitted)->Predict(shape).latency_us});
    }
    series.push_back(line);
  }
  std::ofstream out(path);
  out << client::RenderSvgPlot(absl::StrCat(data.name, ": ", absl::GetFlag(FLAGS_plot_layer), ", k swept"),
                               "output channels (k)", "latency (µs)", series);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  std::cout << "\nPlot: " << path << " (" << measured.xy.size() << " measured points)\n";
  return absl::OkStatus();
}

// "n=38 c=893 k=326 5x5 r3x3": enough to find the layer again.
std::string LayerName(const model::ConvShape& s) {
  return absl::StrFormat("n=%d c=%d k=%d %dx%d r%dx%d", s.n, s.c, s.k, s.h, s.w, s.r, s.s);
}

// How often the two-mode model's classifier picks the group of the kernel that actually ran, and
// its worst held-out layers with what it believed: where the model falls short, and why.
void ReportKernelChoice(const Dataset& data, const model::SampleSplit& split) {
  absl::StatusOr<std::unique_ptr<model::TwoModeModel>> fitted = model::TwoModeModel::Fit(split.train, data.hardware);
  if (!fitted.ok()) return;
  const model::TwoModeModel& two_mode = **fitted;
  int with_kernel = 0, right = 0;
  std::vector<double> known_kernel_predicted, known_kernel_measured;
  std::vector<std::pair<double, const model::Sample*>> errors;
  for (const model::Sample& s : split.test) {
    if (!s.kernel.empty()) {
      ++with_kernel;
      right += two_mode.PredictsKernelGroupOf(s.shape, s.kernel);
      if (std::optional<model::Prediction> p = two_mode.PredictWithKernel(s.shape, s.kernel)) {
        known_kernel_predicted.push_back(p->latency_us);
        known_kernel_measured.push_back(s.latency_us);
      }
    }
    const double predicted = two_mode.Predict(s.shape).latency_us;
    errors.push_back({std::abs(predicted / s.latency_us - 1), &s});
  }
  if (with_kernel > 0 && !two_mode.latent_groups()) {  // latent groups have no kernel to be right about
    std::cout << absl::StrFormat(
        "\nKernel choice: the classifier picks the group of the kernel that ran for %.1f%% of the %d held-out "
        "layers (%zu kernel groups).\n",
        100.0 * right / with_kernel, with_kernel, two_mode.kernel_groups());
    const model::ErrorSummary known = model::SummarizeErrors(known_kernel_predicted, known_kernel_measured);
    std::cout << absl::StrFormat(
        "Given the kernel that ran (no classifier: the staircases alone), MAPE %.1f%%, RMSPE %.1f%%, within ±10%% "
        "%.1f%% on the %zu held-out layers whose kernel was seen in training.\n",
        known.mape, known.rmspe, 100 * known.within_10, known_kernel_predicted.size());
  }
  const int worst = std::min<int>(absl::GetFlag(FLAGS_worst), static_cast<int>(errors.size()));
  if (worst <= 0) return;
  std::partial_sort(errors.begin(), errors.begin() + worst, errors.end(), std::greater<>());
  std::cout << "\n### Two-mode model: the " << worst << " worst held-out layers\n\n"
            << "| layer | measured µs | predicted µs | kernel that ran | predicted kernel, tile, CTAs, waves |\n"
            << "|---|---|---|---|---|\n";
  for (int i = 0; i < worst; ++i) {
    const model::Sample& s = *errors[i].second;
    const model::Prediction p = two_mode.Predict(s.shape);
    const v1::Explanation& why = p.explanation;
    std::cout << absl::StrFormat("| %s | %.1f | %.1f | %s | %s, %s, %d, %d |\n", LayerName(s.shape), s.latency_us,
                                 p.latency_us, s.kernel.empty() ? "-" : s.kernel,
                                 why.kernel().empty() ? "(platform-wide)" : why.kernel(), why.tile(), why.ctas(),
                                 why.waves());
  }
}

// The 80 % intervals of the first model, calibrated on the training layers alone as the server
// does, against the held-out layers: what share they cover, and how wide they are.
void ReportIntervals(const Dataset& data, const model::SampleSplit& split, const model::ModelFitter& fitter,
                     const std::vector<size_t>& curve) {
  std::cout << "\n### " << fitter.name << ": 80 % prediction intervals on the held-out layers\n\n"
            << "| train layers | MAPE % | inside p10-p90 % | below p10 % | above p90 % | mean (p90-p10)/prediction | "
               "fit + calibration s |\n|---|---|---|---|---|---|---|\n";
  auto row = [](const model::IntervalEvaluation& r) {
    if (!r.failure.empty()) return absl::StrFormat("| %zu | %s | | | | | |\n", r.train_size, r.failure);
    return absl::StrFormat("| %zu | %.1f | %.1f | %.1f | %.1f | %.2f | %.3f |\n", r.train_size, r.errors.mape,
                           100 * r.coverage, 100 * r.below, 100 * r.above, r.mean_width, r.fit_seconds);
  };
  for (const model::IntervalEvaluation& r :
       model::IntervalCurve(fitter, split.train, split.test, curve, absl::GetFlag(FLAGS_repeats),
                            absl::GetFlag(FLAGS_seed), data.hardware)) {
    std::cout << row(r) << std::flush;
  }
  if (absl::GetFlag(FLAGS_intervals_all_layers)) {
    std::cout << row(model::EvaluateIntervals(fitter, split.train, split.test, data.hardware));
  }
}

// The op model's held-out error per op kind, against one roofline fit for all kinds.
absl::Status ReportOps(const Dataset& data) {
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<std::vector<model::OpKindEvaluation>> rows =
      model::EvaluateOpModel(data.ops, absl::GetFlag(FLAGS_test_fraction), seed);
  if (!rows.ok()) return rows.status();
  std::cout
      << absl::StrFormat("## %s: other ops\n\n%zu ops measured, %.0f%% held out (seed %d)\n\n", data.name,
                         data.ops.size(), 100 * absl::GetFlag(FLAGS_test_fraction), seed)
      << "| op kind | held-out ops | per-kind MAPE % | per-kind ±10% | one fit for all ops MAPE % | one fit ±10% |\n"
      << "|---|---|---|---|---|---|\n";
  for (const model::OpKindEvaluation& row : *rows) {
    std::cout << absl::StrFormat("| %s | %zu | %.1f | %.1f | %.1f | %.1f |\n", row.kind, row.test_size,
                                 row.per_kind.mape, 100 * row.per_kind.within_10, row.pooled.mape,
                                 100 * row.pooled.within_10);
  }
  std::cout << "\n";
  return absl::OkStatus();
}

absl::Status Run() {
  absl::StatusOr<Dataset> data = LoadDataset();
  if (!data.ok()) return data.status();
  if (!data->ops.empty()) {
    if (absl::Status s = ReportOps(*data); !s.ok()) return s;
    if (data->samples.empty()) return absl::OkStatus();  // an ops-only file
  }
  absl::StatusOr<std::vector<model::ModelFitter>> fitters = model::ModelFittersNamed(absl::GetFlag(FLAGS_models));
  if (!fitters.ok()) return fitters.status();
  absl::StatusOr<std::vector<size_t>> curve = ParseSizes(absl::GetFlag(FLAGS_curve), "curve");
  if (!curve.ok()) return curve.status();
  absl::StatusOr<std::vector<size_t>> active = ParseSizes(absl::GetFlag(FLAGS_active), "active");
  if (!active.ok()) return active.status();
  if (data->samples.size() < 10) return absl::FailedPreconditionError("fewer than 10 successful measurements");
  if (absl::GetFlag(FLAGS_hide_kernel_names)) {
    const model::GridInferenceSummary g = model::SummarizeGridInference(data->samples, /*use_names=*/false);
    std::cout << absl::StrFormat(
        "Kernel names hidden. Mappings from the launch grids reproduce every grid of %d of %d kernels (%d usable, "
        ">= 90 %%) and the CTA counts of %d of %d layers (%d axis by axis); the table's tile for %d of %d named.\n\n",
        g.kernels_exact, g.kernels, g.kernels_usable, g.layers_exact, g.layers, g.layers_axes, g.kernels_as_table,
        g.kernels_in_table);
    data->samples = model::WithKernelNamesHidden(std::move(data->samples));
  }

  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const model::SampleSplit split = model::SplitSamples(data->samples, absl::GetFlag(FLAGS_test_fraction), seed);
  std::cout << absl::StrFormat("## %s\n\n%zu layers: %zu train, %zu held out (seed %d); compute units %d\n\n",
                               data->name, data->samples.size(), split.train.size(), split.test.size(), seed,
                               data->hardware.compute_units);
  if (absl::GetFlag(FLAGS_intervals_only)) {
    ReportIntervals(*data, split, fitters->front(), *curve);
    return absl::OkStatus();
  }
  std::cout << "### All training layers\n\n" << kTableHeader << "\n";
  std::string best_baseline;
  double best_mape = 1e300;
  for (const model::ModelFitter& fitter : *fitters) {
    const model::EvaluationResult result = model::Evaluate(fitter, split.train, split.test, data->hardware);
    std::cout << Row(result) << "\n" << std::flush;
    if (fitter.name != "two-mode" && result.failure.empty() && result.errors.mape < best_mape) {
      best_mape = result.errors.mape;
      best_baseline = fitter.name;
    }
  }
  ReportKernelChoice(*data, split);
  if (absl::GetFlag(FLAGS_intervals)) ReportIntervals(*data, split, fitters->front(), *curve);
  if (const int folds = absl::GetFlag(FLAGS_folds); folds > 1) {
    std::cout << "\n### " << folds << "-fold cross-validation (mean over folds)\n\n" << kTableHeader << "\n";
    for (const model::ModelFitter& fitter : *fitters) {
      model::EvaluationResult mean{.model = fitter.name};
      for (int fold = 0; fold < folds; ++fold) {
        const model::SampleSplit f = model::FoldOf(data->samples, folds, fold, seed);
        const model::EvaluationResult r = model::Evaluate(fitter, f.train, f.test, data->hardware);
        mean.train_size = r.train_size;
        mean.errors.mape += r.errors.mape / folds;
        mean.errors.rmspe += r.errors.rmspe / folds;
        mean.errors.within_10 += r.errors.within_10 / folds;
        mean.fit_seconds += r.fit_seconds / folds;
        if (!r.failure.empty()) mean.failure = r.failure;
      }
      std::cout << Row(mean) << "\n" << std::flush;
    }
  }
  std::vector<model::EvaluationResult> curve_rows;
  if (!curve->empty()) {
    std::cout << "\n### Learning curve (mean of " << absl::GetFlag(FLAGS_repeats)
              << " random training subsets per size)\n\n"
              << kTableHeader << "\n";
    curve_rows = model::LearningCurve(*fitters, split.train, split.test, *curve, absl::GetFlag(FLAGS_repeats), seed,
                                      data->hardware);
    for (const model::EvaluationResult& r : curve_rows) std::cout << Row(r) << "\n";
  }
  if (!active->empty()) {
    std::cout
        << "\n### Two-mode model: active vs random sampling (same pool, same test layers)\n\n"
        << "| train layers | active MAPE % | random MAPE % | active ±10% | random ±10% |\n|---|---|---|---|---|\n";
    for (const model::SamplingComparison& c : model::CompareActiveSampling(
             split.train, split.test, *active, absl::GetFlag(FLAGS_repeats), seed, data->hardware)) {
      std::cout << absl::StrFormat("| %zu | %.1f | %.1f | %.1f | %.1f |\n", c.train_size, c.active.mape, c.random.mape,
                                   100 * c.active.within_10, 100 * c.random.within_10);
    }
  }
  if (const std::string dir = absl::GetFlag(FLAGS_plot_dir); !dir.empty()) {
    std::vector<std::string> written;
    const client::EvalPlotData plots{data->name,     &data->samples, &split,     &*fitters,
                                     data->hardware, best_baseline,  curve_rows, absl::GetFlag(FLAGS_plot_sweep)};
    const absl::Status status = client::WriteEvalPlots(dir, plots, written);
    for (const std::string& path : written) std::cout << "\nPlot: " << path << "\n";
    if (!status.ok()) return status;
  }
  if (const std::string plot = absl::GetFlag(FLAGS_plot); !plot.empty()) {
    return WritePlot(plot, *data, split, *fitters, best_baseline);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace convlat

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "convlat-eval (--neusight FILE.csv | --justus FILE.csv | --csv FILE.csv [--compute_units N] | --db convlat.db "
      "--platform P) "
      "[--models a,b] [--curve 25,50,...] "
      "[--active 25,50,...] [--folds K] [--plot out.svg --plot_layer SPEC] | --transfer [--datasets data/public]");
  absl::ParseCommandLine(argc, argv);
  const absl::Status status =
      absl::GetFlag(FLAGS_transfer)
          ? convlat::RunTransferEvaluation(absl::GetFlag(FLAGS_datasets), absl::GetFlag(FLAGS_seed),
                                           absl::GetFlag(FLAGS_plot_dir), std::cout)
          : convlat::Run();
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
