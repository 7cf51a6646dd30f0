#include "model/onnx/internal/shape_inference.h"

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "onnx/shape_inference/implementation.h"

namespace convlat::model::onnx_internal {
namespace {

// The inputs whose values (not only shapes) decide a node's output shape.
bool IsShapeInput(const onnx::NodeProto& node, int input) {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Reshape", "Expand",  "Tile",      "Pad",        "Resize",    "Upsample",  "Slice",     "Split",     "TopK",
      "OneHot",  "Squeeze", "Unsqueeze", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"};
  const std::string& op = node.op_type();
  if (op == "ConstantOfShape" || op == "Range") return true;
  return input >= 1 && ops->contains(op);
}

// Why the value `name` could not be evaluated: the node (or graph input) where the evaluation
// stops, walking back from `name` through the shape arithmetic that produced it.
std::string WhyNotEvaluated(const onnx::GraphProto& graph, const ValueTable& values, const FoldedValues& folded,
                            const absl::flat_hash_map<std::string, int>& producers, const std::string& name,
                            int depth) {
  const auto producer = producers.find(name);
  if (producer == producers.end()) {
    return absl::StrCat(
        "it is a graph input or a weight without data, not a value known before the run (the "
        "network's shapes depend on the data it is given: convlat cannot predict it)");
  }
  const onnx::NodeProto& node = graph.node(producer->second);
  const std::string label = absl::StrCat("node '", NodeLabel(node, producer->second), "' (", node.op_type(), ")");
  if (!IsFoldableOp(node.op_type())) {
    return absl::StrCat("it is computed by ", label,
                        ", which convlat's shape folding does not evaluate; this is a gap in convlat's importer: "
                        "please report it with the model");
  }
  if (depth < 32) {
    for (const std::string& input : node.input()) {
      if (input.empty() || folded.contains(input)) continue;
      if (node.op_type() == "Shape" || node.op_type() == "Size") {
        std::optional<Shape> shape = values.Find(input);
        if (!shape || !Known(*shape)) {
          return absl::StrCat("it is the shape of '", input, "', which is unknown (",
                              shape ? ShapeText(*shape) : "no shape", ")");
        }
        continue;
      }
      return WhyNotEvaluated(graph, values, folded, producers, input, depth + 1);
    }
  }
  return absl::StrCat("it is computed by ", label,
                      " from known values, but not as a small shape-like tensor convlat evaluates (larger than ",
                      kMaxFoldedElements,
                      " elements, or of a form the folding does not cover); please report it "
                      "with the model");
}

std::string SymbolicInputProblem(const onnx::ValueInfoProto& input) {
  const auto& dims = input.type().tensor_type().shape().dim();
  if (!input.type().tensor_type().has_shape()) return "has no shape at all";
  for (int d = 0; d < dims.size(); ++d) {
    if (dims[d].has_dim_value() && dims[d].dim_value() > 0) continue;
    const std::string symbol = dims[d].has_dim_param() ? absl::StrCat(" ('", dims[d].dim_param(), "')") : "";
    return absl::StrCat("has dimension ", d, " symbolic", symbol);
  }
  return "has no known shape";
}

}  // namespace

absl::StatusOr<FoldedValues> InferShapes(onnx::ModelProto& model) {
  constexpr int kMaxRounds = 64;
  FoldedValues known;
  absl::flat_hash_set<std::string> initializers;
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    initializers.insert(t.name());
    if (std::optional<FoldedValue> value = FoldedValueOf(t)) known[t.name()] = *value;
  }
  for (int round = 0; round < kMaxRounds; ++round) {
    try {
      // Node-level errors throw (error mode 1); data propagation follows what it can.
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                         onnx::ShapeInferenceOptions(/*check_type_val=*/false, /*strict_mode_val=*/1,
                                                                     /*data_prop_val=*/true));
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("onnx_model: shape inference failed: ", absl::StripAsciiWhitespace(e.what())));
    }
    const ValueTable values(model.graph());
    bool folded = false;
    for (onnx::NodeProto& node : *model.mutable_graph()->mutable_node()) {
      if (node.output_size() == 1 && !known.contains(node.output(0))) {
        if (std::optional<FoldedValue> value = FoldNode(node, known, values)) known[node.output(0)] = *value;
      }
      // A node whose output shape did not infer gets its computed shape inputs (Reshape and
      // Expand targets, Slice bounds, Resize sizes, ...) as constants; its data input is left alone.
      if (node.output_size() < 1) continue;
      std::optional<Shape> out = values.Find(node.output(0));
      if (out && Known(*out)) continue;
      for (int i = 0; i < node.input_size(); ++i) {
        if (i == 0 && !IsShapeInput(node, i)) continue;
        const auto value = known.find(node.input(i));
        if (value == known.end() || initializers.contains(node.input(i))) continue;
        // A copy: inserting into `known` below may rehash it (found by scripts/fuzz.sh).
        const FoldedValue constant_value = value->second;
        onnx::TensorProto* constant = model.mutable_graph()->add_initializer();
        *constant = FoldedTensor(absl::StrCat(node.input(i), "/convlat_folded"), constant_value);
        known[constant->name()] = constant_value;
        initializers.insert(constant->name());
        node.set_input(i, constant->name());
        folded = true;
      }
    }
    if (!folded) return known;
  }
  return known;
}

absl::Status CheckReshapesKeepTheirElements(const onnx::GraphProto& graph, const ValueTable& values) {
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (node.op_type() != "Reshape" || node.input_size() < 1 || node.output_size() < 1) continue;
    const std::optional<Shape> in = values.Find(node.input(0));
    const std::optional<Shape> out = values.Find(node.output(0));
    if (!in || !out || !Known(*in) || !Known(*out) || Elements(*in) == Elements(*out)) continue;
    return NodeError(node, i,
                     absl::StrCat("reshapes ", ShapeText(*in), " (", static_cast<int64_t>(Elements(*in)),
                                  " elements) into ", ShapeText(*out), " (", static_cast<int64_t>(Elements(*out)),
                                  " elements): its target shape is fixed in the graph and does not follow its input"));
  }
  return absl::OkStatus();
}

absl::Status ExplainUnknownShape(const onnx::GraphProto& graph, const ValueTable& values, const FoldedValues& folded,
                                 const onnx::NodeProto& needed_by, int needed_by_index) {
  absl::flat_hash_map<std::string, int> producers;
  absl::flat_hash_map<std::string, const onnx::ValueInfoProto*> graph_inputs;
  for (const auto& input : graph.input()) graph_inputs[input.name()] = &input;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    for (const std::string& output : node.output()) producers[output] = i;
    if (node.output_size() == 0 || node.output(0).empty()) continue;
    const std::optional<Shape> out = values.Find(node.output(0));
    if (out && Known(*out)) continue;
    std::string what = absl::StrCat("the shape of '", node.output(0), "' does not infer",
                                    out ? absl::StrCat(" (", ShapeText(*out), ")") : "");
    if (i != needed_by_index) {
      absl::StrAppend(&what, ", which node '", NodeLabel(needed_by, needed_by_index), "' (", needed_by.op_type(),
                      ") needs; it is the first node whose output shape does not infer");
    }
    for (int j = 0; j < node.input_size(); ++j) {
      const std::string& input = node.input(j);
      if (input.empty()) continue;
      const std::optional<Shape> shape = values.Find(input);
      if (!shape || !Known(*shape)) {
        if (const auto it = graph_inputs.find(input); it != graph_inputs.end()) {
          const bool batch_only =
              shape && !shape->empty() && (*shape)[0] < 0 && Known(Shape(shape->begin() + 1, shape->end()));
          return NodeError(node, i,
                           absl::StrCat(what, ": input ", j, " '", input, "' is a graph input that ",
                                        SymbolicInputProblem(*it->second), "; fix it with --input ", input, "=NxCxHxW",
                                        batch_only ? " or --batch N" : ""));
        }
        return NodeError(node, i,
                         absl::StrCat(what, ": input ", j, " '", input, "' has no inferred shape (",
                                      shape ? ShapeText(*shape) : "none", "); please report it with the model"));
      }
      if (IsShapeInput(node, j) && !folded.contains(input)) {
        return NodeError(node, i,
                         absl::StrCat(what, ": input ", j, " '", input, "' is a shape computed in the graph, and ",
                                      WhyNotEvaluated(graph, values, folded, producers, input, 0)));
      }
    }
    static const auto* data_dependent =
        new absl::flat_hash_set<std::string>{"NonZero", "Unique", "NonMaxSuppression", "Loop", "If", "Compress"};
    if (data_dependent->contains(node.op_type())) {
      return NodeError(node, i,
                       absl::StrCat(what,
                                    ": its output's size depends on the values of its input, not on shapes; "
                                    "convlat cannot predict such a network"));
    }
    return NodeError(node, i,
                     absl::StrCat(what,
                                  ": its inputs' shapes are all known, but ONNX shape inference gives none for "
                                  "its output; please report it with the model"));
  }
  return absl::OkStatus();
}

}  // namespace convlat::model::onnx_internal
