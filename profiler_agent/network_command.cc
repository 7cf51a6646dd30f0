// CONVLAT_HAVE_CUDNN and CONVLAT_HAVE_ONEDNN are defined on this file when the agent is built with
// that backend (profiler_agent/CMakeLists.txt).
#include "profiler_agent/network_command.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"
#include "model/onnx/weight_stripping.h"
#include "profiler_agent/backend/network_run.h"

#if CONVLAT_HAVE_ONEDNN
#include "profiler_agent/onednn/network_runner.h"
#endif
#if CONVLAT_HAVE_CUDNN
#include "profiler_agent/gpu_network/gpu_network_runner.h"
#endif

namespace convlat::agent {
namespace {

absl::StatusOr<NetworkRun> RunOnBackend(const std::vector<model::NetworkLayer>& layers,
                                        const NetworkCommandOptions& options) {
  if (options.backend == "cpu" || options.backend == "onednn") {
    if (options.dtype != v1::DATA_TYPE_UNSPECIFIED && options.dtype != v1::DATA_TYPE_FP32) {
      return absl::InvalidArgumentError(
          "--dtype fp16/bf16 networks run with --backend cudnn; the cpu runner runs fp32");
    }
#if CONVLAT_HAVE_ONEDNN
    return RunNetworkOnOneDnn(layers, options.layout, options.runs);
#else
    return absl::UnimplementedError(
        "--backend cpu: this agent was built without oneDNN (CONVLAT_WITH_ONEDNN=OFF); use --backend cudnn");
#endif
  }
  if (options.backend != "cudnn") {
    return absl::InvalidArgumentError(absl::StrCat("--backend must be cpu or cudnn, got '", options.backend, "'"));
  }
#if CONVLAT_HAVE_CUDNN
  if (options.layout == v1::LAYOUT_NATIVE) {
    return absl::InvalidArgumentError(
        "--layout native is the CPU libraries' blocked layout; --backend cudnn takes "
        "nchw or nhwc");
  }
  absl::StatusOr<NetworkRun> run = RunNetworkOnGpu(
      layers,
      {.overrides = {.dtype = options.dtype, .layout = options.layout}, .algo = options.algo, .runs = options.runs});
  if (!run.ok()) return absl::Status(run.status().code(), absl::StrCat("--backend cudnn: ", run.status().message()));
  return run;
#else
  return absl::UnimplementedError(
      "--backend cudnn: this agent was built without CUDA/cuDNN; rebuild on a machine with them, or use --backend cpu");
#endif
}

// Appends the spec of every layer the agents can time to `path`: the sweep that measures the
// network's layers. The layout is left as imported (the run's --layout chooses it).
int WriteLayerSweep(const std::vector<model::NetworkLayer>& layers, const std::string& path, std::ostream& out,
                    std::ostream& err) {
  std::ofstream sweep(path, std::ios::app);
  if (!sweep) {
    err << "error: --sweep_out: cannot write " << path << "\n";
    return 2;
  }
  int written = 0;
  for (const model::NetworkLayer& layer : layers) {
    if (layer.conv) {
      sweep << model::FormatConvSpec(*layer.conv) << "\n";
    } else if (layer.op_params) {
      sweep << model::FormatOpSpec(*layer.op_params) << "\n";
    } else {
      continue;
    }
    ++written;
  }
  out << "layers\t" << written << "\t" << path << "\n";
  return sweep ? 0 : 1;
}

}  // namespace

absl::StatusOr<v1::DataType> ParseDtypeFlag(absl::string_view name) {
  if (name.empty()) return v1::DATA_TYPE_UNSPECIFIED;
  if (name == "fp32") return v1::DATA_TYPE_FP32;
  if (name == "fp16") return v1::DATA_TYPE_FP16;
  if (name == "bf16") return v1::DATA_TYPE_BF16;
  return absl::InvalidArgumentError(absl::StrCat("--dtype must be fp32, fp16 or bf16, got '", name, "'"));
}

int RunNetworkCommand(const NetworkCommandOptions& options, std::ostream& out, std::ostream& err) {
  if (options.batch < 1 || options.runs < 1) {
    err << "error: " << (options.batch < 1 ? "--batch" : "--runs") << " must be >= 1, got "
        << (options.batch < 1 ? options.batch : options.runs) << "\n";
    return 2;
  }
  // Only the shapes are read: the runner times its layers on buffers of its own.
  absl::StatusOr<std::string> onnx = model::ReadOnnxFileWithoutWeights(options.onnx_path);
  if (!onnx.ok()) {
    err << "error: " << onnx.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::vector<model::NetworkLayer>> layers =
      model::ImportOnnx(*onnx, {.batch = options.batch, .force_batch = true});
  if (!layers.ok()) {
    absl::string_view why = layers.status().message();
    if (absl::ConsumePrefix(&why, "batch: ")) {
      err << "error: --batch " << why << "\n";  // the flag the user typed, not the file, is at fault
    } else {
      err << "error: " << options.onnx_path << ": " << why << "\n";
    }
    return 2;
  }
  if (!options.sweep_out.empty()) return WriteLayerSweep(*layers, options.sweep_out, out, err);
  absl::StatusOr<NetworkRun> run = RunOnBackend(*layers, options);
  if (!run.ok()) {
    err << "error: " << run.status().message() << "\n";
    return absl::IsInvalidArgument(run.status()) ? 2 : 1;
  }
  out << "total_us\t" << run->median_us << "\n";
  for (const NetworkRunLayer& layer : run->layers) {
    out << layer.name << "\t" << layer.op << "\t" << layer.median_us << "\t" << layer.implementation << "\n";
  }
  for (const std::string& skipped : run->skipped) out << "skipped\t" << skipped << "\n";
  return 0;
}

}  // namespace convlat::agent
