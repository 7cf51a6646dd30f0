#pragma once
// ONNX models (opset 7 and newer) to convlat's layer list, with the ONNX library's own protobuf
// definitions and shape inference. Bad input never crashes: every failure is an error that names
// the node or value it is about.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/layers/network.h"

namespace convlat::model {

struct OnnxImportOptions {
  // > 0: the batch, replacing the first dimension of every graph input that has a symbolic or
  // unknown first dimension (and of every input, when `force_batch`: re-batching a static export).
  // 0: a symbolic or unknown first dimension (a dynamic batch) is taken as 1, with a note.
  int batch = 0;
  bool force_batch = false;
  // Shapes for graph inputs, by name: what fixes dynamic dimensions ("input" → {1, 3, 224, 224}).
  // A `batch` > 0 replaces their first dimension too (noted when that was not 1).
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Larger models are refused before parsing (weights are not needed: strip them).
  int64_t max_model_bytes = int64_t{512} << 20;
};

// INVALID_ARGUMENT for a file that is not ONNX, a truncated one, an opset before 7, an op convlat
// does not know, a graph that is not a DAG in node order, or shapes that do not infer (naming
// the first node whose shape is unknown, the input at fault and why; `input_shapes` or `batch`
// when a symbolic input dimension is the cause); RESOURCE_EXHAUSTED above the size limit. When
// the graph imports at its own batch but not at `batch`, the error is about the batch and starts
// "batch: " (too large for the libraries, or shapes fixed in a static export), for the caller to
// name its own flag or field.
struct ImportedNetwork {
  std::vector<NetworkLayer> layers;
  std::vector<std::string> notes;  // what the import assumed, for the user: "input 'x': dynamic batch taken as 1"
};
absl::StatusOr<ImportedNetwork> ImportOnnxNetwork(absl::string_view model_bytes, const OnnxImportOptions& options);

// ImportOnnxNetwork's layers.
absl::StatusOr<std::vector<NetworkLayer>> ImportOnnx(absl::string_view model_bytes, const OnnxImportOptions& options);

// What to do about a model too large to send: it still has its weights.
inline constexpr char kStripWeightsHint[] =
    "send the graph without its weights, only shapes are read (convlat-client query strips them; with the onnx "
    "package: onnx.save_model(onnx.load(path), 'graph.onnx', save_as_external_data=True) moves them to a file "
    "beside the graph)";

// "1x3x224x224" → {1, 3, 224, 224}; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text);

}  // namespace convlat::model
