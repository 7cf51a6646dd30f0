#include "model/onnx/internal/shape_inference.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "model/onnx/internal/graph.h"
#include "onnx/shape_inference/implementation.h"

namespace convlat::model::onnx_internal {
namespace {

// Integer tensors computable at import time, by name.
using KnownInts = absl::flat_hash_map<std::string, std::vector<int64_t>>;

std::optional<std::vector<int64_t>> IntsOf(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::INT64) return std::nullopt;
  if (t.int64_data_size() > 0) return std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end());
  if (t.raw_data().size() % sizeof(int64_t) != 0) return std::nullopt;
  std::vector<int64_t> values(t.raw_data().size() / sizeof(int64_t));
  std::memcpy(values.data(), t.raw_data().data(), t.raw_data().size());
  return values;
}

// What one node computes from integer tensors already known: the shape arithmetic exporters
// write for a dynamic batch (Shape → Gather → Div → Cast → Unsqueeze → Concat → Reshape), which
// ONNX's own data propagation does not follow through Div and Cast.
std::optional<std::vector<int64_t>> FoldNode(const onnx::NodeProto& node, const KnownInts& known,
                                             const ValueTable& values) {
  const std::string& op = node.op_type();
  auto in = [&](int i) -> const std::vector<int64_t>* {
    if (i >= node.input_size()) return nullptr;
    const auto it = known.find(node.input(i));
    return it == known.end() ? nullptr : &it->second;
  };
  if (op == "Constant") {
    const onnx::AttributeProto* value = Attribute(node, "value");
    return value != nullptr && value->has_t() ? IntsOf(value->t()) : std::nullopt;
  }
  if (op == "Shape") {
    std::optional<Shape> shape = values.Find(node.input(0));
    if (!shape || !Known(*shape)) return std::nullopt;
    const int64_t rank = static_cast<int64_t>(shape->size());
    int64_t start = IntAttribute(node, "start", 0), end = IntAttribute(node, "end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
    return std::vector<int64_t>(shape->begin() + start, shape->begin() + std::max(start, end));
  }
  if (op == "Cast" || op == "Identity" || op == "Unsqueeze" || op == "Squeeze") {
    return in(0) != nullptr ? std::optional<std::vector<int64_t>>(*in(0)) : std::nullopt;
  }
  if (op == "Gather") {
    const std::vector<int64_t>*data = in(0), *indices = in(1);
    if (data == nullptr || indices == nullptr || IntAttribute(node, "axis", 0) != 0) return std::nullopt;
    std::vector<int64_t> out;
    for (int64_t i : *indices) {
      if (i < 0) i += static_cast<int64_t>(data->size());
      if (i < 0 || i >= static_cast<int64_t>(data->size())) return std::nullopt;
      out.push_back((*data)[i]);
    }
    return out;
  }
  if (op == "Concat") {
    std::vector<int64_t> out;
    for (int i = 0; i < node.input_size(); ++i) {
      if (in(i) == nullptr) return std::nullopt;
      out.insert(out.end(), in(i)->begin(), in(i)->end());
    }
    return out;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const std::vector<int64_t>*a = in(0), *b = in(1);
    if (a == nullptr || b == nullptr || a->empty() || b->empty()) return std::nullopt;
    if (a->size() != b->size() && a->size() != 1 && b->size() != 1) return std::nullopt;
    std::vector<int64_t> out(std::max(a->size(), b->size()));
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
      if (op == "Div" && y == 0) return std::nullopt;
      out[i] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

absl::Status InferShapes(onnx::ModelProto& model) {
  constexpr int kMaxRounds = 64;
  KnownInts known;
  absl::flat_hash_set<std::string> initializers;
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    initializers.insert(t.name());
    if (std::optional<std::vector<int64_t>> ints = IntsOf(t)) known[t.name()] = *ints;
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
        if (std::optional<std::vector<int64_t>> ints = FoldNode(node, known, values)) known[node.output(0)] = *ints;
      }
      // A node whose output shape did not infer gets its computed integer inputs (Reshape and
      // Expand targets, Slice bounds, ...) as constants; its data input (0) is left alone.
      if (node.output_size() < 1) continue;
      std::optional<Shape> out = values.Find(node.output(0));
      if (out && Known(*out)) continue;
      const int first = node.op_type() == "ConstantOfShape" ? 0 : 1;
      for (int i = first; i < node.input_size(); ++i) {
        const auto value = known.find(node.input(i));
        if (value == known.end() || initializers.contains(node.input(i))) continue;
        // A copy: inserting into `known` below may rehash it (found by scripts/fuzz.sh).
        const std::vector<int64_t> ints = value->second;
        onnx::TensorProto* constant = model.mutable_graph()->add_initializer();
        constant->set_name(absl::StrCat(node.input(i), "/convlat_folded"));
        constant->set_data_type(onnx::TensorProto::INT64);
        constant->add_dims(static_cast<int64_t>(ints.size()));
        for (int64_t v : ints) constant->add_int64_data(v);
        known[constant->name()] = ints;
        initializers.insert(constant->name());
        node.set_input(i, constant->name());
        folded = true;
      }
    }
    if (!folded) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace convlat::model::onnx_internal
