#pragma once
// convlat-agent network NET.onnx: runs an ONNX network's layers for real, in order, each reading
// what the one before it wrote, on this CPU with oneDNN (--backend cpu) or on the GPU with cuDNN
// and the project's kernels (--backend cudnn), and prints the measured latency:
//   total_us<TAB><median of a pass>
//   <name><TAB><op><TAB><median µs><TAB><implementation>     one line per layer
//   skipped<TAB><name: why>                                  layers that could not run
// With --sweep_out FILE it runs nothing and appends the spec of every layer it would time to FILE
// (one conv or op spec a line, as `run --sweep FILE` reads them), and prints how many.

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"
#include "profiler_agent/backend/conv_backend.h"

namespace convlat::agent {

// --dtype: "" (as the sweep or network says), fp32, fp16 or bf16; INVALID_ARGUMENT naming --dtype
// otherwise.
absl::StatusOr<v1::DataType> ParseDtypeFlag(absl::string_view name);

struct NetworkCommandOptions {
  std::string onnx_path;
  std::string backend = "cpu";  // cpu or cudnn
  v1::Layout layout = v1::LAYOUT_UNSPECIFIED;
  v1::DataType dtype = v1::DATA_TYPE_UNSPECIFIED;  // cudnn only (the oneDNN runner runs as imported)
  AlgoSelection algo = AlgoSelection::kHeuristic;  // cudnn: heuristic or exhaustive
  int batch = 1;
  int runs = 20;
  std::string sweep_out;  // non-empty: write the layers' specs there instead of running
};

// The exit code: 0 on success, 2 for bad input (said on `err`), 1 when the network cannot run.
int RunNetworkCommand(const NetworkCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace convlat::agent
