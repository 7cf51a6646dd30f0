#include "client/commands.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/command_output.h"
#include "client/text_table.h"
#include "common/status_bridge.h"
#include "convlat/v1/latency.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"
#include "model/onnx/weight_stripping.h"
#include "model/sweeps/sweeps.h"

namespace convlat::client {
namespace {

std::string Fixed(double value, int digits) { return absl::StrFormat("%.*f", digits, value); }

std::string Explain(const v1::Explanation& why) {
  std::string text = absl::StrFormat("%s, %.3g GFLOP, %.3g MB, compute %.0f%%", why.model_kind(), why.flops() / 1e9,
                                     why.bytes() / 1e6, 100 * why.compute_share());
  // The latency is the platform's own timing of this configuration; the model's figure beside it.
  if (why.measured()) text = absl::StrFormat("measured (model: %.4g us), %s", why.model_us(), text);
  // CPU libraries' implementations (oneDNN's "brgconv:avx512_core") have no GPU kernel family: the
  // implementation's own name says more than "unknown".
  const bool named_only = why.kernel_family() == "unknown" && !why.kernel().empty();
  if (!why.kernel_family().empty()) absl::StrAppend(&text, ", ", named_only ? why.kernel() : why.kernel_family());
  if (!why.tile().empty()) absl::StrAppend(&text, " tile ", why.tile());
  if (why.ctas() > 0) absl::StrAppend(&text, ", ", why.ctas(), " CTAs in ", why.waves(), " waves");
  if (why.correction() > 0) absl::StrAppend(&text, absl::StrFormat(", correction ×%.2f", why.correction()));
  if (!why.transfer().empty()) absl::StrAppend(&text, "; ", why.transfer());
  if (!why.cache_state().empty()) absl::StrAppend(&text, ", cache ", why.cache_state());
  if (!why.extrapolation().empty()) absl::StrAppend(&text, "; extrapolated: ", why.extrapolation());
  return text;
}

// Layers outside what the platform measured (Explanation.extrapolation): said once under the
// table, with the first reason, so a user does not take their figures for measured-backed ones.
// `total_us` > 0 (a network's) adds their share of it.
void NoteExtrapolations(const CommandContext& context, const std::vector<const v1::LayerPrediction*>& predictions,
                        double total_us) {
  int layers = 0, new_kinds = 0;
  double layers_us = 0;
  std::string first_reason;
  bool transferred = false;
  for (const v1::LayerPrediction* p : predictions) {
    if (p->explanation().extrapolation().empty()) continue;
    if (layers++ == 0) first_reason = p->explanation().extrapolation();
    layers_us += p->latency_us();
    transferred = transferred || p->transferred();
    new_kinds += p->explanation().new_kind_transferred();
  }
  if (layers == 0) return;
  *context.err << "note: " << layers << (layers == 1 ? " layer lies" : " layers lie") << " outside what "
               << (transferred ? "this platform and the GPUs its estimates are transferred from measured"
                               : "this platform measured")
               << (total_us > 0 ? " (" + Fixed(100 * layers_us / total_us, 1) + "% of the total)" : "") << ", e.g. "
               << first_reason
               << ": their figures are extrapolations and their intervals assumed, not calibrated (an agent "
                  "measures such layers with convlat-agent network NET.onnx --sweep_out FILE, then --sweep FILE)"
               << (new_kinds == 0 ? ""
                                  : absl::StrCat("; ", new_kinds,
                                                 " of them, of kinds it never measured, come from the "
                                                 "transfer over GPUs that did measure such layers"))
               << "\n";
}

const char* KindName(v1::PlatformKind kind) {
  switch (kind) {
    case v1::PLATFORM_KIND_GPU: return "gpu";
    case v1::PLATFORM_KIND_CPU: return "cpu";
    default: return "-";
  }
}

// Layers named on the command line (conv specs, or op specs starting "op="), then those of the
// file; every one validated locally so a typo is reported before any call.
absl::StatusOr<std::vector<v1::LayerList::Layer>> CollectLayers(const std::vector<std::string>& specs,
                                                                const std::string& layers_file) {
  std::vector<v1::LayerList::Layer> layers;
  for (const std::string& spec : specs) {
    v1::LayerList::Layer& layer = layers.emplace_back();
    if (absl::StartsWith(spec, "op=")) {
      absl::StatusOr<v1::OpParams> op = model::ParseOpSpec(spec);
      absl::Status status = op.ok() ? model::ValidateOpParams(*op, "") : op.status();
      if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("'", spec, "': ", status.message()));
      *layer.mutable_op() = *op;
      continue;
    }
    absl::StatusOr<v1::ConvParams> params = model::ParseConvSpec(spec);
    absl::Status status = params.ok() ? model::ValidateConvParams(*params, "") : params.status();
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("--conv '", spec, "': ", status.message()));
    *layer.mutable_conv() = *params;
  }
  if (!layers_file.empty()) {
    absl::StatusOr<std::vector<model::SpecLine>> from_file = model::ReadSpecFile(layers_file);
    if (!from_file.ok()) return from_file.status();
    for (const model::SpecLine& spec : *from_file) {
      v1::LayerList::Layer& layer = layers.emplace_back();
      if (spec.conv) *layer.mutable_conv() = *spec.conv;
      if (spec.op) *layer.mutable_op() = *spec.op;
    }
  }
  if (layers.empty()) return absl::InvalidArgumentError("no layers: give --conv SPEC, op=... specs or --layers FILE");
  return layers;
}

// The server names the request's fields; the user typed this command's flags: a message about one
// of them starts with the flag instead ("INVALID_ARGUMENT: --batch 100000 is too large ...").
int ReportQueryError(const CommandContext& context, const grpc::Status& status) {
  std::string message = FromGrpcStatus(status).ToString();
  const size_t code_end = message.find(": ");
  const size_t at = code_end == std::string::npos ? 0 : code_end + 2;
  for (const auto& [field, flag] : {std::pair{"batch: ", "--batch "}, std::pair{"batch ", "--batch "},
                                    std::pair{"layout ", "--layout "}, std::pair{"platform ", "--platform "}}) {
    if (message.compare(at, std::strlen(field), field) == 0) {
      message.replace(at, std::strlen(field), flag);
      break;
    }
  }
  *context.err << "error: " << message << "\n";
  return kExitFailed;
}

// When most of the spec-roofline estimates is the fixed cost per kernel that the platform's
// convolutions show (small elementwise ops, as transformers have hundreds of), says so: that cost
// is what one call took as the convolutions were timed (framework and timing overhead included,
// 60-70 µs in the public NeuSight rows), which a runtime launching kernels back to back need not pay.
std::string SpecFloorClause(const v1::PredictNetworkResponse& response) {
  double floor_us = 0, per_layer_us = 0;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    const v1::Explanation& why = layer.prediction().explanation();
    if (why.model_kind() != "spec-roofline") continue;
    const double fixed = layer.prediction().latency_us() * (1 - why.compute_share() - why.memory_share());
    floor_us += fixed;
    per_layer_us = std::max(per_layer_us, fixed);
  }
  if (floor_us < 0.5 * response.spec_estimated_us()) return "";
  return absl::StrCat(", ", Fixed(floor_us / 1000, 1), " ms of it the fixed cost of ", Fixed(per_layer_us, 0),
                      " us per kernel that this platform's convolutions show as they were timed, one call at a time "
                      "(a runtime that launches kernels back to back may pay less)");
}

// The 80 % interval's bounds in ms, empty when the prediction has none (a not-modelled layer, a
// platform with too few measurements to calibrate one).
std::pair<std::string, std::string> IntervalCells(double p10_us, double p90_us) {
  if (p10_us <= 0 && p90_us <= 0) return {"", ""};
  return {Fixed(p10_us / 1000, 4), Fixed(p90_us / 1000, 4)};
}

// Under the layers: the total (marked when it is a lower bound) and what it is made of: layers predicted
// by models fitted to the platform's measurements, layers estimated from its device's peaks, and layers
// left out.
void AddNetworkTotals(const v1::PredictNetworkResponse& response, TextTable& table) {
  const double total_us = response.total_us();
  auto share = [total_us](double us) { return Fixed(total_us > 0 ? 100 * us / total_us : 0, 1) + "%"; };
  const int estimated = response.spec_estimated_layers(), left_out = response.unmodelled_layers();
  const int measured = response.layers_size() - estimated - left_out;
  const auto [p10, p90] = IntervalCells(response.total_p10_us(), response.total_p90_us());
  const char* total = response.transferred() ? "total (transferred estimate)" : "total";
  table.AddRow(
      {response.total_is_lower_bound() ? "total (lower bound)" : total, "", "", Fixed(total_us / 1000, 4), p10, p90,
       "100.0%",
       absl::StrCat(
           response.total_is_lower_bound() ? absl::StrCat(left_out, " layers left out; ") : "",
           "p10-p90: sums of the layers' bounds",
           response.interval_calibrated() ? "" : " (spec-estimated and extrapolated layers' bounds assumed)")});
  table.AddRow({"  measured-model", "", "", Fixed(response.measured_model_us() / 1000, 4), "", "",
                share(response.measured_model_us()),
                absl::StrCat(measured, response.transferred()
                                           ? " layers, transferred from other GPUs by their specs (blended with "
                                             "this platform's own layers where it has some)"
                                           : " layers, from models fitted to this platform's measurements")});
  table.AddRow({"  spec-estimated", "", "", Fixed(response.spec_estimated_us() / 1000, 4), "", "",
                share(response.spec_estimated_us()),
                absl::StrCat(estimated, " layers, from the device's peaks (spec-roofline)")});
  table.AddRow(
      {"  left out", "", "", "", "", "", "", absl::StrCat(left_out, " layers, not modelled (0 ms, not in the total)")});
}

}  // namespace

int ListPlatformsCommand(const CommandContext& context) {
  auto stub = v1::LatencyService::NewStub(context.channel);
  v1::ListPlatformsResponse response;
  grpc::Status status = stub->ListPlatforms(NewCallContext(context).get(), {}, &response);
  if (!status.ok()) return ReportRpcError(context, status);
  if (context.format == OutputFormat::kJson) return PrintJson(context, response);
  // samples: current successful measurements; noisy: their share the agent flagged; superseded and
  // retired: history the fits ignore; fit: the model's in-sample MAPE on convolutions and ops.
  TextTable table({"platform", "kind", "device", "units", "library", "samples", "model", "noisy", "superseded",
                   "retired", "conv_fit_mape", "op_fit_mape"});
  for (const v1::PlatformSummary& summary : response.platforms()) {
    const v1::Platform& p = summary.platform();
    const bool ready = summary.model_ready();
    const std::string noisy =
        summary.sample_count() > 0
            ? absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(summary.noisy_count()) / summary.sample_count())
            : "-";
    table.AddRow({p.name(), KindName(p.kind()), p.device_name(), absl::StrCat(p.compute_units()),
                  absl::StrCat(p.library(), p.library_version().empty() ? "" : " " + p.library_version()),
                  absl::StrCat(summary.sample_count()),
                  ready ? (summary.transferred() ? "transferred" : "ready") : "none", noisy,
                  absl::StrCat(summary.superseded_count()), absl::StrCat(summary.retired_count()),
                  // A platform with no layers of its own has no fit error to show (a transfer's is
                  // its sources' business).
                  ready && summary.sample_count() > 0 ? absl::StrFormat("%.1f%%", summary.fit_mape()) : "-",
                  ready && summary.op_sample_count() > 0 ? absl::StrFormat("%.1f%%", summary.op_fit_mape()) : "-"});
  }
  PrintTable(context, table);
  return kExitOk;
}

int PredictCommand(const CommandContext& context, const std::string& platform, const std::vector<std::string>& specs,
                   const std::string& layers_file) {
  if (platform.empty()) {
    *context.err << "error: --platform is required\n";
    return kExitUsage;
  }
  absl::StatusOr<std::vector<v1::LayerList::Layer>> layers = CollectLayers(specs, layers_file);
  if (!layers.ok()) {
    *context.err << "error: " << layers.status().message() << "\n";
    return kExitUsage;
  }
  v1::PredictRequest request;
  request.set_platform(platform);
  for (v1::LayerList::Layer& layer : *layers) *request.add_any_layers() = std::move(layer);
  v1::PredictResponse response;
  auto stub = v1::LatencyService::NewStub(context.channel);
  grpc::Status status = stub->Predict(NewCallContext(context).get(), request, &response);
  if (!status.ok()) return ReportRpcError(context, status);
  if (context.format == OutputFormat::kJson) return PrintJson(context, response);
  TextTable table({"layer", "latency_ms", "p10_ms", "p90_ms", "explanation"});
  for (int i = 0; i < response.predictions_size(); ++i) {
    const v1::LayerPrediction& p = response.predictions(i);
    const v1::LayerList::Layer& layer = request.any_layers(i);
    const auto [p10, p90] = IntervalCells(p.p10_us(), p.p90_us());
    table.AddRow({layer.has_op() ? model::FormatOpSpec(layer.op()) : model::FormatConvSpec(layer.conv()),
                  Fixed(p.latency_us() / 1000, 4), p10, p90, Explain(p.explanation())});
  }
  PrintTable(context, table);
  std::vector<const v1::LayerPrediction*> predictions;
  for (const v1::LayerPrediction& p : response.predictions()) predictions.push_back(&p);
  NoteExtrapolations(context, predictions, /*total_us=*/0);
  return kExitOk;
}

int ShowModelCommand(const CommandContext& context, const std::string& platform) {
  if (platform.empty()) {
    *context.err << "error: --platform is required\n";
    return kExitUsage;
  }
  v1::GetPlatformModelRequest request;
  request.set_platform(platform);
  v1::PlatformModel response;
  auto stub = v1::LatencyService::NewStub(context.channel);
  grpc::Status status = stub->GetPlatformModel(NewCallContext(context).get(), request, &response);
  if (!status.ok()) return ReportRpcError(context, status);
  if (context.format == OutputFormat::kJson) return PrintJson(context, response);
  TextTable table({"field", "value"});
  table.AddRow({"platform", response.platform()});
  table.AddRow({"model", response.model_kind()});
  table.AddRow({"version", absl::StrCat(response.version())});
  table.AddRow({"samples", absl::StrCat(response.sample_count())});
  table.AddRow({"fit_mape_percent", Fixed(response.fit_mape(), 2)});
  table.AddRow({"fit_rmspe_percent", Fixed(response.fit_rmspe(), 2)});
  table.AddRow({"fit_seconds", Fixed(response.fit_seconds(), 4)});
  table.AddRow({"fitted_at", google::protobuf::util::TimeUtil::ToString(response.fitted_at())});
  if (response.op_sample_count() > 0) {
    table.AddRow({"op_samples", absl::StrCat(response.op_sample_count())});
    table.AddRow({"op_fit_mape_percent", Fixed(response.op_fit_mape(), 2)});
  }
  // Served the transfer, or blended with it (fewer than 1,000 layers of its own): from what.
  if (!response.transferred_from().empty()) {
    table.AddRow(
        {"transferred", response.transferred() ? "yes (too few layers of its own)" : "blended with its own fit"});
    table.AddRow({"transferred_from", absl::StrJoin(response.transferred_from(), ", ")});
    table.AddRow({"own_layers", absl::StrCat(response.transfer_target_layers())});
  }
  if (response.noisy_left_out() > 0) table.AddRow({"noisy_left_out", absl::StrCat(response.noisy_left_out())});
  if (response.noisy_down_weighted() > 0) {
    table.AddRow({"noisy_down_weighted", absl::StrCat(response.noisy_down_weighted())});
  }
  // A fit the server refused to serve, before the parameters: the reader should see it first.
  for (const v1::RejectedModel& rejected : response.rejected_models()) {
    table.AddRow({absl::StrCat("rejected ", rejected.model()),
                  absl::StrCat(rejected.reason(), " (", rejected.check(), "); serving ", rejected.fallback())});
  }
  std::map<std::string, double> sorted(response.parameters().begin(), response.parameters().end());
  for (const auto& [name, value] : sorted) table.AddRow({name, absl::StrFormat("%.6g", value)});
  PrintTable(context, table);
  return kExitOk;
}

int QueryNetworkCommand(const CommandContext& context, const NetworkQuery& query) {
  if (query.platform.empty()) {
    *context.err << "error: --platform is required\n";
    return kExitUsage;
  }
  v1::PredictNetworkRequest request;
  request.set_platform(query.platform);
  if (query.batch.has_value()) {
    // The request's 0 means "as exported", so a typed 0 (or less) would be silently ignored.
    if (*query.batch < 1) {
      *context.err << "error: --batch must be >= 1, got " << *query.batch
                   << " (leave --batch out to keep the network's own batch size)\n";
      return kExitUsage;
    }
    request.set_batch(*query.batch);
  }
  if (!query.layout.empty()) {
    absl::StatusOr<v1::Layout> layout = model::ParseLayout(query.layout);
    if (!layout.ok()) {
      *context.err << "error: --layout: " << layout.status().message() << "\n";
      return kExitUsage;
    }
    request.set_layout(*layout);
  }
  if (!query.layers_file.empty()) {
    absl::StatusOr<std::vector<model::SpecLine>> layers = model::ReadSpecFile(query.layers_file);
    if (!layers.ok()) {
      *context.err << "error: " << layers.status().message() << "\n";
      return kExitUsage;
    }
    for (const model::SpecLine& spec : *layers) {
      v1::LayerList::Layer* layer = request.mutable_layers()->add_layers();
      if (spec.conv) *layer->mutable_conv() = *spec.conv;
      if (spec.op) *layer->mutable_op() = *spec.op;
    }
  } else {
    absl::StatusOr<std::string> onnx = model::ReadOnnxFileWithoutWeights(query.onnx_path);
    if (!onnx.ok()) {
      *context.err << "error: " << onnx.status().message() << "\n";
      return kExitUsage;
    }
    request.set_onnx_model(*std::move(onnx));
    for (const std::string& input : query.inputs) {
      const std::vector<std::string> parts = absl::StrSplit(input, absl::MaxSplits('=', 1));
      absl::StatusOr<std::vector<int64_t>> shape =
          parts.size() == 2 ? model::ParseShape(parts[1]) : absl::InvalidArgumentError("expected NAME=NxCxHxW");
      if (!shape.ok()) {
        *context.err << "error: --input " << input << ": " << shape.status().message() << "\n";
        return kExitUsage;
      }
      auto& dims = (*request.mutable_input_shapes())[parts[0]];
      for (int64_t d : *shape) dims.add_dims(d);
    }
  }
  v1::PredictNetworkResponse response;
  auto stub = v1::LatencyService::NewStub(context.channel);
  grpc::Status status = stub->PredictNetwork(NewCallContext(context).get(), request, &response);
  if (!status.ok()) return ReportQueryError(context, status);
  for (const std::string& note : response.notes()) *context.err << "note: " << note << "\n";
  if (context.format == OutputFormat::kJson) return PrintJson(context, response);
  TextTable table({"layer", "op", "shape", "latency_ms", "p10_ms", "p90_ms", "share", "explanation"});
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    const auto [p10, p90] = IntervalCells(layer.prediction().p10_us(), layer.prediction().p90_us());
    table.AddRow({layer.name(), layer.op(), layer.shape(), Fixed(layer.prediction().latency_us() / 1000, 4), p10, p90,
                  Fixed(100 * layer.share(), 1) + "%", Explain(layer.prediction().explanation())});
  }
  AddNetworkTotals(response, table);
  PrintTable(context, table);
  std::vector<const v1::LayerPrediction*> predictions;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) predictions.push_back(&layer.prediction());
  NoteExtrapolations(context, predictions, std::max(response.total_us(), 1e-9));
  if (response.transferred()) {
    *context.out << "transferred estimate: " << Fixed(response.total_us() / 1000, 4) << " ms, 80 % interval p10-p90 "
                 << Fixed(response.total_p10_us() / 1000, 4) << "-" << Fixed(response.total_p90_us() / 1000, 4)
                 << " ms: this platform has too few convolutions measured of its own (under 100) for its own fit to "
                    "serve alone (an agent on it replaces the transfer as it measures)\n";
  }
  if (response.total_is_lower_bound()) {
    *context.err << "warning: the total is a lower bound: " << response.unmodelled_layers()
                 << " layers are neither convolutions nor matrix products, this platform's agents timed no such ops "
                    "(convlat-agent --sweep ops) and its device's memory bandwidth is unknown: they are listed as "
                    "not-modelled and left out of the total\n";
  } else if (response.spec_estimated_layers() > 0) {
    *context.err << "note: " << response.spec_estimated_layers()
                 << " layers were never measured on this platform (its agents timed no such ops): they are estimated "
                    "from the device's peak bandwidth and throughput (spec-roofline), "
                 << Fixed(100 * response.spec_estimated_us() / std::max(response.total_us(), 1e-9), 1)
                 << "% of the total" << SpecFloorClause(response) << "; convlat-agent --sweep ops measures them\n";
  }
  return kExitOk;
}

}  // namespace convlat::client
