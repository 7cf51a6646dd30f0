// convlat-eval: every latency model side by side on the same held-out layers of a platform, with
// learning curves, active vs random sampling, and a staircase plot. Reads a public NeuSight CSV
// or a platform from a convlat store. Prints Markdown (what docs/accuracy.md is made of).
// The flags are in eval_flags.cc, the layers' sources in eval_dataset.cc, the tables in
// eval_report.cc and the pictures in eval_k_plot.cc and eval_plots.cc; this file runs them in order.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "client/eval_dataset.h"
#include "client/eval_flags.h"
#include "client/eval_k_plot.h"
#include "client/eval_plots.h"
#include "client/eval_report.h"
#include "client/eval_transfer.h"
#include "model/two_mode/grid_mapping.h"

namespace convlat::client {
namespace {

// --hide_kernel_names: how well the launch grids alone recover each kernel's mapping, then the
// layers with every kernel renamed.
void HideKernelNames(EvalDataset& data, std::ostream& out) {
  const model::GridInferenceSummary g = model::SummarizeGridInference(data.samples, /*use_names=*/false);
  out << absl::StrFormat(
      "Kernel names hidden. Mappings from the launch grids reproduce every grid of %d of %d kernels (%d usable, "
      ">= 90 %%) and the CTA counts of %d of %d layers (%d axis by axis); the table's tile for %d of %d named.\n\n",
      g.kernels_exact, g.kernels, g.kernels_usable, g.layers_exact, g.layers, g.layers_axes, g.kernels_as_table,
      g.kernels_in_table);
  data.samples = model::WithKernelNamesHidden(std::move(data.samples));
}

absl::Status Run(std::ostream& out) {
  absl::StatusOr<EvalDataset> data = LoadEvalDataset();
  if (!data.ok()) return data.status();
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  if (!data->ops.empty()) {
    if (absl::Status s = ReportOps(*data, absl::GetFlag(FLAGS_test_fraction), seed, out); !s.ok()) return s;
    if (data->samples.empty()) return absl::OkStatus();  // an ops-only file
  }
  absl::StatusOr<std::vector<model::ModelFitter>> fitters = model::ModelFittersNamed(absl::GetFlag(FLAGS_models));
  if (!fitters.ok()) return fitters.status();
  absl::StatusOr<std::vector<size_t>> curve = ParseSizes(absl::GetFlag(FLAGS_curve), "curve");
  if (!curve.ok()) return curve.status();
  absl::StatusOr<std::vector<size_t>> active = ParseSizes(absl::GetFlag(FLAGS_active), "active");
  if (!active.ok()) return active.status();
  if (data->samples.size() < 10) return absl::FailedPreconditionError("fewer than 10 successful measurements");
  if (data->hardware.compute_units == 0) {
    std::cerr << "warning: the SM (or core) count of '" << data->name
              << "' is unknown (its device is not in convlat's GPU table, model/datasets/gpu_specs.cc): the "
                 "staircases search their concurrency instead; --compute_units N gives it\n";
  }
  if (absl::GetFlag(FLAGS_hide_kernel_names)) HideKernelNames(*data, out);

  const model::SampleSplit split = model::SplitSamples(data->samples, absl::GetFlag(FLAGS_test_fraction), seed);
  out << absl::StrFormat("## %s\n\n%zu layers: %zu train, %zu held out (seed %d); compute units %d\n\n", data->name,
                         data->samples.size(), split.train.size(), split.test.size(), seed,
                         data->hardware.compute_units);
  const bool intervals_all_layers = absl::GetFlag(FLAGS_intervals_all_layers);
  if (absl::GetFlag(FLAGS_intervals_only)) {
    ReportIntervals(*data, split, fitters->front(), *curve, repeats, seed, intervals_all_layers, out);
    return absl::OkStatus();
  }
  const std::string best_baseline = ReportModelComparison(*data, split, *fitters, out);
  ReportKernelChoice(*data, split, absl::GetFlag(FLAGS_worst), out);
  if (absl::GetFlag(FLAGS_intervals)) {
    ReportIntervals(*data, split, fitters->front(), *curve, repeats, seed, intervals_all_layers, out);
  }
  if (const int folds = absl::GetFlag(FLAGS_folds); folds > 1) {
    ReportCrossValidation(*data, *fitters, folds, seed, out);
  }
  std::vector<model::EvaluationResult> curve_rows;
  if (!curve->empty()) curve_rows = ReportLearningCurve(*data, split, *fitters, *curve, repeats, seed, out);
  if (!active->empty()) ReportActiveSampling(*data, split, *active, repeats, seed, out);
  if (const std::string dir = absl::GetFlag(FLAGS_plot_dir); !dir.empty()) {
    std::vector<std::string> written;
    const EvalPlotData plots{data->name,     &data->samples, &split,     &*fitters,
                             data->hardware, best_baseline,  curve_rows, absl::GetFlag(FLAGS_plot_sweep)};
    const absl::Status status = WriteEvalPlots(dir, plots, written);
    for (const std::string& path : written) out << "\nPlot: " << path << "\n";
    if (!status.ok()) return status;
  }
  if (const std::string plot = absl::GetFlag(FLAGS_plot); !plot.empty()) {
    return WriteKSweepPlot(plot, absl::GetFlag(FLAGS_plot_layer), absl::GetFlag(FLAGS_plot_k_max), *data, split,
                           *fitters, best_baseline, out);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace convlat::client

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "convlat-eval (--neusight FILE.csv | --justus FILE.csv | --csv FILE.csv | --db convlat.db --platform P) "
      "[--compute_units N] "
      "[--models a,b] [--curve 25,50,...] "
      "[--active 25,50,...] [--folds K] [--plot out.svg --plot_layer SPEC] | --transfer [--datasets data/public]");
  absl::ParseCommandLine(argc, argv);
  const absl::Status status =
      absl::GetFlag(FLAGS_transfer)
          ? convlat::RunTransferEvaluation(absl::GetFlag(FLAGS_datasets), absl::GetFlag(FLAGS_seed),
                                           absl::GetFlag(FLAGS_plot_dir), std::cout)
          : convlat::client::Run(std::cout);
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
