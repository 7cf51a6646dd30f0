#include "model/onnx/onnx_import.h"

#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "model/onnx/internal/graph.h"
#include "model/onnx/internal/op_mapping.h"
#include "model/onnx/internal/shape_inference.h"
#include "onnx/onnx_pb.h"

namespace convlat::model {
namespace {

using onnx_internal::DescribeNode;
using onnx_internal::Elements;
using onnx_internal::ExplainUnknownShape;
using onnx_internal::FoldedValues;
using onnx_internal::FreeOps;
using onnx_internal::FusedIntoConvOps;
using onnx_internal::InferShapes;
using onnx_internal::Known;
using onnx_internal::NodeError;
using onnx_internal::Shape;
using onnx_internal::ValueTable;

constexpr int kMinOpset = 7;
// Integer tensors up to this size are shapes, indices and the like, not data.
constexpr double kMaxShapeElements = 64;

class Importer {
 public:
  Importer(const onnx::GraphProto& graph, const ValueTable& values, const FoldedValues& folded)
      : graph_(graph), values_(values), folded_(folded) {}

  absl::StatusOr<std::vector<NetworkLayer>> Run() {
    if (absl::Status s = CheckTopologicalOrder(); !s.ok()) return s;
    absl::flat_hash_map<std::string, int> consumers;
    for (const onnx::NodeProto& node : graph_.node()) {
      for (const std::string& input : node.input()) ++consumers[input];
    }
    for (const auto& output : graph_.output()) ++consumers[output.name()];

    std::vector<NetworkLayer> layers;
    // The value whose producer a following BatchNormalization/activation may fuse into.
    absl::flat_hash_map<std::string, size_t> fusable_output;
    for (int i = 0; i < graph_.node_size(); ++i) {
      const onnx::NodeProto& node = graph_.node(i);
      const std::string& op = node.op_type();
      if (!node.domain().empty() && node.domain() != "ai.onnx") {
        return NodeError(node, i, absl::StrCat("ops of domain '", node.domain(), "' are not supported"));
      }
      if (FusedIntoConvOps().contains(op) && node.input_size() > 0 && node.output_size() > 0) {
        const auto it = fusable_output.find(node.input(0));
        if (it != fusable_output.end()) {
          const size_t conv_index = it->second;
          layers[conv_index].op = absl::StrCat(layers[conv_index].op, "+", op);
          fusable_output.erase(it);
          if (consumers[node.output(0)] == 1) fusable_output[node.output(0)] = conv_index;
          continue;
        }
      }
      if (FreeOps().contains(op) || (node.output_size() > 0 && folded_.contains(node.output(0))) ||
          IsShapeArithmetic(node))
        continue;
      if (!ShapesKnown(node)) {
        // Name the cause (the first node whose shape does not infer), not only where it shows.
        if (absl::Status why = ExplainUnknownShape(graph_, values_, folded_, node, i); !why.ok()) return why;
      }
      absl::StatusOr<NetworkLayer> layer = DescribeNode(values_, node, i);
      if (!layer.ok()) return layer.status();
      if (layer->conv && node.output_size() > 0 && consumers[node.output(0)] == 1) {
        fusable_output[node.output(0)] = layers.size();
      }
      layers.push_back(*std::move(layer));
    }
    return layers;
  }

 private:
  // ONNX requires nodes in topological order; a node reading a value no earlier node, input or
  // initializer produced means a cycle (or an unsorted or broken graph).
  absl::Status CheckTopologicalOrder() const {
    absl::flat_hash_set<std::string> available;
    for (const auto& input : graph_.input()) available.insert(input.name());
    for (const auto& init : graph_.initializer()) available.insert(init.name());
    for (int i = 0; i < graph_.node_size(); ++i) {
      const onnx::NodeProto& node = graph_.node(i);
      for (const std::string& input : node.input()) {
        if (!input.empty() && !available.contains(input)) {
          return NodeError(
              node, i,
              absl::StrCat("input '", input, "' is not produced by any earlier node (a cycle, or an unsorted graph)"));
        }
      }
      for (const std::string& output : node.output()) available.insert(output);
    }
    return absl::OkStatus();
  }

  // Integer ops on shape-sized tensors (Shape → Gather → Div → Concat → Reshape chains that the
  // folding left, e.g. because they depend on the batch): a runtime computes them on the host
  // once, they launch no work on the device.
  bool IsShapeArithmetic(const onnx::NodeProto& node) const {
    if (node.output_size() == 0) return false;
    const int type = values_.TypeOf(node.output(0));
    if (type != onnx::TensorProto::INT64 && type != onnx::TensorProto::INT32) return false;
    const std::optional<Shape> shape = values_.Find(node.output(0));
    return shape && Known(*shape) && Elements(*shape) <= kMaxShapeElements;
  }

  bool ShapesKnown(const onnx::NodeProto& node) const {
    // ONNX 1.12 infers only an Einsum's rank; its mapping computes the product from the inputs.
    const bool outputs_needed = node.op_type() != "Einsum";
    for (const auto* names : {&node.input(), &node.output()}) {
      if (names == &node.output() && !outputs_needed) continue;
      for (const std::string& name : *names) {
        if (name.empty()) continue;
        const std::optional<Shape> shape = values_.Find(name);
        if (!shape || !Known(*shape)) return false;
      }
    }
    return true;
  }

  const onnx::GraphProto& graph_;
  const ValueTable& values_;
  const FoldedValues& folded_;
};

// Applies --batch and --input to the graph inputs that are activations (not initializers); a dynamic
// batch left open becomes 1, noted in `notes`.
absl::Status FixInputShapes(onnx::GraphProto& graph, const OnnxImportOptions& options,
                            std::vector<std::string>& notes) {
  absl::flat_hash_set<std::string> initializers;
  for (const auto& init : graph.initializer()) initializers.insert(init.name());
  absl::flat_hash_set<std::string> used;
  for (onnx::ValueInfoProto& input : *graph.mutable_input()) {
    if (initializers.contains(input.name())) continue;
    onnx::TypeProto_Tensor* tensor = input.mutable_type()->mutable_tensor_type();
    if (const auto it = options.input_shapes.find(input.name()); it != options.input_shapes.end()) {
      used.insert(input.name());
      onnx::TensorShapeProto* shape = tensor->mutable_shape();
      shape->clear_dim();
      for (int64_t d : it->second) shape->add_dim()->set_dim_value(d);
      // Both given: the batch is what the user asked to vary, the shape what fixes the rest.
      if (options.batch > 0 && !it->second.empty() && it->second[0] != options.batch) {
        if (it->second[0] != 1) {
          notes.push_back(absl::StrCat("input '", input.name(), "': --batch ", options.batch, " replaces the batch ",
                                       it->second[0], " of --input ", input.name()));
        }
        shape->mutable_dim(0)->set_dim_value(options.batch);
      }
      continue;
    }
    if (!tensor->has_shape() || tensor->shape().dim_size() == 0) continue;
    onnx::TensorShapeProto_Dimension* first = tensor->mutable_shape()->mutable_dim(0);
    if (options.batch > 0) {
      if (options.force_batch || !first->has_dim_value()) first->set_dim_value(options.batch);
    } else if (!first->has_dim_value() || first->dim_value() <= 0) {
      const std::string symbol = first->has_dim_param() ? absl::StrCat(" ('", first->dim_param(), "')") : "";
      notes.push_back(absl::StrCat("input '", input.name(), "' has a dynamic batch dimension", symbol,
                                   ": predicted at batch 1; --batch N for another"));
      first->set_dim_value(1);
    }
  }
  for (const auto& [name, shape] : options.input_shapes) {
    if (!used.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("--input ", name, ": the model has no graph input of that name"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text) {
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(text, 'x')) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d) || d <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("shape '", text, "': expected positive sizes like 1x3x224x224"));
    }
    shape.push_back(d);
  }
  return shape;
}

absl::StatusOr<std::vector<NetworkLayer>> ImportOnnx(absl::string_view model_bytes, const OnnxImportOptions& options) {
  absl::StatusOr<ImportedNetwork> network = ImportOnnxNetwork(model_bytes, options);
  if (!network.ok()) return network.status();
  return std::move(network->layers);
}

namespace {

absl::StatusOr<ImportedNetwork> ImportAsGiven(absl::string_view model_bytes, const OnnxImportOptions& options) {
  if (static_cast<int64_t>(model_bytes.size()) > options.max_model_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("onnx_model: ", model_bytes.size(), " bytes is over the limit of ",
                                                     options.max_model_bytes, " bytes; ", kStripWeightsHint));
  }
  onnx::ModelProto model;
  if (model_bytes.empty() || !model.ParseFromArray(model_bytes.data(), static_cast<int>(model_bytes.size()))) {
    return absl::InvalidArgumentError(
        "onnx_model: not an ONNX model (the protobuf does not parse; truncated or another format?)");
  }
  if (model.ir_version() <= 0 || !model.has_graph() || model.graph().node_size() == 0) {
    return absl::InvalidArgumentError("onnx_model: not an ONNX model (no IR version or an empty graph)");
  }
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto& import : model.opset_import()) {
    if (import.domain().empty() || import.domain() == "ai.onnx") opset = import.version();
  }
  if (opset < kMinOpset) {
    return absl::InvalidArgumentError(absl::StrCat("onnx_model: opset ", opset, " is older than ", kMinOpset,
                                                   "; re-export the model with a newer opset"));
  }
  ImportedNetwork network;
  if (absl::Status s = FixInputShapes(*model.mutable_graph(), options, network.notes); !s.ok()) return s;
  absl::StatusOr<FoldedValues> folded = InferShapes(model);
  if (!folded.ok()) return folded.status();
  const ValueTable values(model.graph());
  if (absl::Status s = CheckReshapesKeepTheirElements(model.graph(), values); !s.ok()) return s;
  absl::StatusOr<std::vector<NetworkLayer>> layers = Importer(model.graph(), values, *folded).Run();
  if (!layers.ok()) return layers.status();
  network.layers = *std::move(layers);
  return network;
}

}  // namespace

absl::StatusOr<ImportedNetwork> ImportOnnxNetwork(absl::string_view model_bytes, const OnnxImportOptions& options) {
  absl::StatusOr<ImportedNetwork> network = ImportAsGiven(model_bytes, options);
  if (network.ok() || options.batch <= 0 || !absl::IsInvalidArgument(network.status())) return network;

  // Did the batch break it? The graph at its own batch tells whose error it is: the file's, or the
  // batch asked of a graph whose shapes were fixed when it was exported.
  OnnxImportOptions own_batch = options;
  own_batch.batch = 0;
  own_batch.force_batch = false;
  if (!ImportAsGiven(model_bytes, own_batch).ok()) return network;
  absl::string_view why = network.status().message();
  absl::ConsumePrefix(&why, "onnx_model: ");
  if (absl::StrContains(why, "larger than 2^31") || absl::StrContains(why, "too large")) {
    return absl::InvalidArgumentError(absl::StrCat("batch: ", options.batch, " is too large for this network: ", why));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "batch: ", options.batch,
      " does not fit this network, whose shapes are fixed at the batch it was exported at: ", why,
      "; export it with a dynamic batch (torch.onnx.export(..., dynamic_axes={'input': {0: 'batch'}})) or leave the "
      "batch unset"));
}

}  // namespace convlat::model
