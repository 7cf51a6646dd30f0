#include "client/eval_transfer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "client/svg_plot.h"
#include "model/datasets/public_datasets.h"
#include "model/kind_routed_model.h"
#include "model/serving_model.h"

namespace convlat {

absl::StatusOr<std::vector<model::TransferSource>> LoadPublicTransferSources(const std::string& datasets_dir,
                                                                             std::ostream& warnings) {
  absl::StatusOr<std::vector<model::GpuDatasetFile>> files = model::FindGpuDatasetFiles(datasets_dir);
  if (!files.ok()) return files.status();
  std::vector<model::TransferSource> sources;
  for (const model::GpuDatasetFile& file : *files) {
    absl::StatusOr<model::RecordedPlatform> recorded =
        model::LoadPublicPlatform(file.entry(), datasets_dir, "convlat-eval");
    if (!recorded.ok()) return recorded.status();
    absl::StatusOr<model::TransferSpec> spec = model::TransferSpecOf(recorded->platform, file.name);
    if (!spec.ok()) {
      // A GPU the spec table does not know has no spec to transfer from or to.
      warnings << "warning: " << file.file << " left out: its device '" << recorded->platform.device_name()
               << "' is not in convlat's GPU table (model/datasets/gpu_specs.cc), so it has no spec ("
               << spec.status().message() << ")\n";
      continue;
    }
    sources.push_back({.spec = *std::move(spec), .samples = model::SamplesFromMeasurements(recorded->measurements)});
  }
  if (sources.size() < 2) {
    return absl::FailedPreconditionError(absl::StrCat("the transfer needs at least two GPUs with a known spec under ",
                                                      datasets_dir, "; found ", sources.size()));
  }
  return sources;
}

std::string TransferMatrixMarkdown(const model::TransferMatrix& matrix) {
  std::string out = "| target | layers |";
  for (const std::string& column : matrix.columns) absl::StrAppend(&out, " ", column, " |");
  absl::StrAppend(&out, " sources |\n|---|---:|");
  for (size_t i = 0; i < matrix.columns.size(); ++i) absl::StrAppend(&out, "---:|");
  absl::StrAppend(&out, "---|\n");
  for (size_t row = 0; row < matrix.rows.size(); ++row) {
    absl::StrAppend(&out, "| ", matrix.rows[row], " | ", matrix.target_samples[row], " |");
    for (double value : matrix.values[row]) {
      absl::StrAppend(&out, " ", std::isfinite(value) ? absl::StrFormat("%.1f", value) : "-", " |");
    }
    absl::StrAppend(&out, " ", matrix.sources[row], " |\n");
  }
  return out;
}

std::string TransferHeatmapSvg(const model::TransferMatrix& matrix) {
  client::Heatmap heatmap{
      .title = "Transfer: MAPE % on a GPU left out, from its spec and N of its own layers (blended with its own fit)",
      .row_labels = matrix.rows,
      .value_label = "MAPE %",
      .row_axis_label = "target GPU (trained on the other GPUs)",
      .column_axis_label = "the target's own layers"};
  std::vector<size_t> mape_columns;  // the coverage column has another scale: left out
  for (size_t c = 0; c < matrix.columns.size(); ++c) {
    if (!absl::StartsWith(matrix.columns[c], "MAPE % at ")) continue;
    mape_columns.push_back(c);
    // "25": the axis says "the target's own layers", and the cells stay narrow.
    heatmap.column_labels.emplace_back(
        absl::StripSuffix(absl::StripPrefix(matrix.columns[c], "MAPE % at "), " layers"));
  }
  for (const std::vector<double>& row : matrix.values) {
    std::vector<double>& cells = heatmap.values.emplace_back();
    for (size_t c : mape_columns) cells.push_back(row[c]);
  }
  return client::RenderSvgHeatmap(heatmap);
}

absl::Status RunTransferEvaluation(const std::string& datasets_dir, uint64_t seed, const std::string& plot_dir,
                                   std::ostream& out) {
  absl::StatusOr<std::vector<model::TransferSource>> sources = LoadPublicTransferSources(datasets_dir, std::cerr);
  if (!sources.ok()) return sources.status();
  model::TransferEvaluationOptions options;
  options.transfer.seed = seed;
  // What the server serves with a few of the target's layers: the transfer blended with its own fit.
  options.own_fit = [](const std::vector<model::Sample>& samples, const model::HardwareInfo& hardware) {
    return model::FitLatencyModel(samples, hardware);
  };
  // The sources' own models too, for the stacked few-shot correction, as the server fits them.
  options.transfer.source_model = model::FitEachSource(options.own_fit);
  options.own_fit_of_kind = model::ConvFitterOfKind;
  // A GPU that measured 3x3 stride-1 layers only, as the NeuSight ones: its other kinds routed.
  options.route_new_kinds = model::RouteNewKindsToTransfer;
  const auto start = std::chrono::steady_clock::now();
  const model::TransferMatrix matrix = model::EvaluateTransfer(*sources, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << "## Transfer: leave one GPU out (" << sources->size() << " GPUs)\n\n"
      << "MAPE on the target's layers with 0 (zero-shot, spec only) and N of its own layers (few-shot, mean of "
      << options.subsets << " random draws, judged on the rest: the transfer blended with the target's own fit, as "
      << "the server serves it, then each alone); coverage of the zero-shot 80 % interval on all of them; the share of "
      << "Habitat's rule in the zero-shot transfer (the sources' own models scaled to the target, where two sources "
         "are "
      << "like it; model/transfer/internal/scaled_sources.h); and, with the target's 3x3 stride-1 layers as its only "
         "ones, the MAPE on all its other layers of its own fit and of the model the server serves it (the kinds it "
         "never measured from the transfer stacked over the sources that did, model/kind_routed_model.h). Sources: "
      << "every other GPU, at most " << options.transfer.max_samples_per_source << " layers each.\n\n"
      << TransferMatrixMarkdown(matrix) << "\n"
      << absl::StrFormat("(%d targets evaluated in %.1f s)\n", static_cast<int>(matrix.rows.size()), seconds);
  if (plot_dir.empty()) return absl::OkStatus();
  const std::string path = plot_dir + "/transfer-matrix.svg";
  std::ofstream svg(path);
  svg << TransferHeatmapSvg(matrix);
  if (!svg.good()) return absl::PermissionDeniedError(absl::StrCat("--plot_dir: cannot write ", path));
  out << "wrote " << path << "\n";
  return absl::OkStatus();
}

}  // namespace convlat
