#include "model/onnx/internal/shape_folding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>

#include "absl/container/flat_hash_set.h"

namespace convlat::model::onnx_internal {
namespace {

bool IsIntegerType(int type) {
  switch (type) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: return false;
    default: return true;
  }
}

template <typename T>
std::optional<std::vector<double>> RawValues(const std::string& raw) {
  if (raw.size() % sizeof(T) != 0) return std::nullopt;
  std::vector<double> out(raw.size() / sizeof(T));
  for (size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
  return out;
}

// Elementwise over two operands with numpy broadcasting of a single element.
std::optional<FoldedValue> Broadcast(const FoldedValue& a, const FoldedValue& b, bool integer,
                                     const std::function<std::optional<double>(double, double)>& f) {
  const size_t n = std::max(a.values.size(), b.values.size());
  if (a.values.empty() || b.values.empty()) return std::nullopt;
  if (a.values.size() != n && a.values.size() != 1) return std::nullopt;
  if (b.values.size() != n && b.values.size() != 1) return std::nullopt;
  FoldedValue out{.integer = integer, .dims = a.values.size() >= b.values.size() ? a.dims : b.dims};
  if (a.values.size() == b.values.size() && b.dims.size() > a.dims.size()) out.dims = b.dims;
  for (size_t i = 0; i < n; ++i) {
    std::optional<double> v = f(a.values[a.values.size() == 1 ? 0 : i], b.values[b.values.size() == 1 ? 0 : i]);
    if (!v || !std::isfinite(*v)) return std::nullopt;
    out.values.push_back(*v);
  }
  return out;
}

std::optional<FoldedValue> Arithmetic(const std::string& op, const FoldedValue& a, const FoldedValue& b) {
  const bool integer = a.integer && b.integer;
  return Broadcast(a, b, integer, [&](double x, double y) -> std::optional<double> {
    if (op == "Add") return x + y;
    if (op == "Sub") return x - y;
    if (op == "Mul") return x * y;
    if (op == "Min") return std::min(x, y);
    if (op == "Max") return std::max(x, y);
    if (op == "Pow") return std::pow(x, y);
    if (op == "Equal") return x == y ? 1.0 : 0.0;
    if (op == "Less") return x < y ? 1.0 : 0.0;
    if (op == "Greater") return x > y ? 1.0 : 0.0;
    if (y == 0) return std::nullopt;
    if (op == "Div") return integer ? std::trunc(x / y) : x / y;
    if (op == "Mod") return x - std::floor(x / y) * y;  // fmod=0: the sign of the divisor, like Python's %
    return std::nullopt;
  });
}

// Slice of a 1-D tensor: starts/ends/axes/steps as inputs (opset 10+) or attributes (before).
std::optional<FoldedValue> Slice(const onnx::NodeProto& node, const FoldedValue& data,
                                 const std::function<const FoldedValue*(int)>& in) {
  std::vector<double> starts, ends, axes, steps{1};
  if (node.input_size() >= 3) {
    if (in(1) == nullptr || in(2) == nullptr) return std::nullopt;
    starts = in(1)->values;
    ends = in(2)->values;
    if (node.input_size() >= 4 && !node.input(3).empty()) {
      if (in(3) == nullptr) return std::nullopt;
      axes = in(3)->values;
    }
    if (node.input_size() >= 5 && !node.input(4).empty()) {
      if (in(4) == nullptr) return std::nullopt;
      steps = in(4)->values;
    }
  } else {
    for (int64_t v : IntsAttribute(node, "starts")) starts.push_back(static_cast<double>(v));
    for (int64_t v : IntsAttribute(node, "ends")) ends.push_back(static_cast<double>(v));
    for (int64_t v : IntsAttribute(node, "axes")) axes.push_back(static_cast<double>(v));
  }
  if (starts.size() != 1 || ends.size() != 1 || steps.size() != 1 || steps[0] == 0) return std::nullopt;
  // Along the first axis only: rows of a 2-D tensor (how F.pad's amounts are reversed), items of a 1-D one.
  if (data.scalar() ||
      (!axes.empty() && (axes.size() != 1 || (axes[0] != 0 && axes[0] != -static_cast<double>(data.dims.size()))))) {
    return std::nullopt;
  }
  const auto n = data.dims[0];
  const size_t row = n > 0 ? data.values.size() / static_cast<size_t>(n) : 0;
  const auto step = static_cast<int64_t>(steps[0]);
  auto clamp = [&](double v, int64_t low, int64_t high) {
    const double resolved = v < 0 ? v + static_cast<double>(n) : v;
    return static_cast<int64_t>(std::clamp(resolved, static_cast<double>(low), static_cast<double>(high)));
  };
  FoldedValue out{.integer = data.integer, .dims = data.dims};
  auto take = [&](int64_t i) {
    out.values.insert(out.values.end(), data.values.begin() + static_cast<int64_t>(i * row),
                      data.values.begin() + static_cast<int64_t>((i + 1) * row));
  };
  if (step > 0) {
    for (int64_t i = clamp(starts[0], 0, n), end = clamp(ends[0], 0, n); i < end; i += step) take(i);
  } else {
    for (int64_t i = clamp(starts[0], 0, n - 1), end = clamp(ends[0], -1, n - 1); i > end; i += step) take(i);
  }
  out.dims[0] = row > 0 ? static_cast<int64_t>(out.values.size() / row) : 0;
  return out;
}

std::optional<FoldedValue> Reduce(const std::string& op, const FoldedValue& a) {
  if (a.values.empty()) return std::nullopt;
  double v = op == "ReduceProd" ? 1 : op == "ReduceSum" ? 0 : a.values[0];
  for (double x : a.values) {
    v = op == "ReduceProd" ? v * x : op == "ReduceSum" ? v + x : op == "ReduceMax" ? std::max(v, x) : std::min(v, x);
  }
  return FoldedValue{.values = {v}, .integer = a.integer};
}

}  // namespace

std::optional<FoldedValue> FoldedValueOf(const onnx::TensorProto& t) {
  int64_t elements = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > kMaxFoldedElements) return std::nullopt;
    elements *= d;
  }
  if (elements > kMaxFoldedElements) return std::nullopt;
  std::optional<std::vector<double>> values;
  switch (t.data_type()) {
    case onnx::TensorProto::INT64:
      values = t.int64_data_size() > 0 ? std::vector<double>(t.int64_data().begin(), t.int64_data().end())
                                       : RawValues<int64_t>(t.raw_data());
      break;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::BOOL:
      values = t.int32_data_size() > 0 ? std::vector<double>(t.int32_data().begin(), t.int32_data().end())
               : t.data_type() == onnx::TensorProto::BOOL ? RawValues<uint8_t>(t.raw_data())
                                                          : RawValues<int32_t>(t.raw_data());
      break;
    case onnx::TensorProto::FLOAT:
      values = t.float_data_size() > 0 ? std::vector<double>(t.float_data().begin(), t.float_data().end())
                                       : RawValues<float>(t.raw_data());
      break;
    case onnx::TensorProto::DOUBLE:
      values = t.double_data_size() > 0 ? std::vector<double>(t.double_data().begin(), t.double_data().end())
                                        : RawValues<double>(t.raw_data());
      break;
    default: return std::nullopt;
  }
  // A stripped weight has dims but no data: unknown, not empty.
  if (!values || static_cast<int64_t>(values->size()) != elements) return std::nullopt;
  return FoldedValue{.values = *std::move(values),
                     .integer = IsIntegerType(t.data_type()),
                     .dims = Shape(t.dims().begin(), t.dims().end())};
}

bool IsFoldableOp(const std::string& op) {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Constant", "Shape",           "Size",  "Cast",    "Identity",   "Unsqueeze", "Squeeze",   "Transpose", "Reshape",
      "Gather",   "Concat",          "Add",   "Sub",     "Mul",        "Div",       "Mod",       "Min",       "Max",
      "Pow",      "Equal",           "Less",  "Greater", "Not",        "Neg",       "Abs",       "Floor",     "Ceil",
      "Where",    "ConstantOfShape", "Slice", "Range",   "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin"};
  return ops->contains(op);
}

std::optional<FoldedValue> FoldNode(const onnx::NodeProto& node, const FoldedValues& known, const ValueTable& values) {
  const std::string& op = node.op_type();
  auto in = [&](int i) -> const FoldedValue* {
    if (i >= node.input_size() || node.input(i).empty()) return nullptr;
    const auto it = known.find(node.input(i));
    return it == known.end() ? nullptr : &it->second;
  };
  std::optional<FoldedValue> out;
  if (op == "Constant") {
    const onnx::AttributeProto* value = Attribute(node, "value");
    if (value != nullptr && value->has_t()) out = FoldedValueOf(value->t());
  } else if (op == "Shape" || op == "Size") {
    std::optional<Shape> shape = values.Find(node.input(0));
    if (!shape || !Known(*shape)) return std::nullopt;
    if (op == "Size") return FoldedValue{.values = {Elements(*shape)}};
    const int64_t rank = static_cast<int64_t>(shape->size());
    int64_t start = IntAttribute(node, "start", 0), end = IntAttribute(node, "end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
    out = FoldedValue{.values = std::vector<double>(shape->begin() + start, shape->begin() + std::max(start, end))};
    out->dims = {static_cast<int64_t>(out->values.size())};
  } else if (const FoldedValue* a = in(0); a == nullptr && op != "ConstantOfShape") {
    return std::nullopt;
  } else if (op == "Cast") {
    out = *a;
    out->integer = IsIntegerType(static_cast<int>(IntAttribute(node, "to", onnx::TensorProto::FLOAT)));
    if (out->integer) {
      for (double& v : out->values) v = std::trunc(v);
    }
  } else if (op == "Identity" || op == "Floor" || op == "Ceil" || op == "Neg" || op == "Abs" || op == "Not") {
    out = *a;
    for (double& v : out->values) {
      v = op == "Floor"  ? std::floor(v)
          : op == "Ceil" ? std::ceil(v)
          : op == "Neg"  ? -v
          : op == "Abs"  ? std::abs(v)
          : op == "Not"  ? (v == 0 ? 1 : 0)
                         : v;
    }
  } else if (op == "Unsqueeze" || op == "Squeeze") {
    // Of the ranks shape arithmetic uses: a scalar becomes [1] and back.
    if (a->dims.size() > 1) return std::nullopt;
    out = *a;
    out->dims = op == "Squeeze" && a->values.size() == 1 ? Shape{} : Shape{static_cast<int64_t>(a->values.size())};
  } else if (op == "Reshape") {
    const FoldedValue* target = in(1);
    if (target == nullptr) return std::nullopt;
    out = *a;
    out->dims.clear();
    int64_t known_elements = 1, infer_at = -1;
    for (size_t d = 0; d < target->values.size(); ++d) {
      auto v = static_cast<int64_t>(target->values[d]);
      if (v == 0 && d < a->dims.size()) v = a->dims[d];
      if (v == -1) infer_at = static_cast<int64_t>(d);
      known_elements *= v == -1 ? 1 : v;
      out->dims.push_back(v);
    }
    if (known_elements <= 0) return std::nullopt;
    if (infer_at >= 0) out->dims[infer_at] = static_cast<int64_t>(a->values.size()) / known_elements;
    if (Elements(out->dims) != static_cast<double>(a->values.size())) return std::nullopt;
  } else if (op == "Transpose") {
    if (a->dims.size() != 2) return std::nullopt;  // a 1-D transpose is the identity, a 2-D one swaps
    out = *a;
    out->dims = {a->dims[1], a->dims[0]};
    for (int64_t r = 0; r < a->dims[0]; ++r) {
      for (int64_t c = 0; c < a->dims[1]; ++c) out->values[c * a->dims[0] + r] = a->values[r * a->dims[1] + c];
    }
  } else if (op == "Gather") {
    const FoldedValue* indices = in(1);
    if (indices == nullptr || IntAttribute(node, "axis", 0) != 0 || a->dims.size() != 1) return std::nullopt;
    out = FoldedValue{.integer = a->integer, .dims = indices->dims};
    for (double i : indices->values) {
      if (i < 0) i += static_cast<double>(a->values.size());
      if (i < 0 || i >= static_cast<double>(a->values.size())) return std::nullopt;
      out->values.push_back(a->values[static_cast<size_t>(i)]);
    }
  } else if (op == "Concat") {
    out = FoldedValue{.integer = a->integer};
    for (int i = 0; i < node.input_size(); ++i) {
      if (in(i) == nullptr || in(i)->dims.size() != 1) return std::nullopt;
      out->values.insert(out->values.end(), in(i)->values.begin(), in(i)->values.end());
    }
    out->dims = {static_cast<int64_t>(out->values.size())};
  } else if (op == "Where") {
    const FoldedValue *x = in(1), *y = in(2);
    if (x == nullptr || y == nullptr) return std::nullopt;
    std::optional<FoldedValue> picked =
        Broadcast(*a, *x, x->integer, [](double c, double v) { return c != 0 ? v : 0; });
    std::optional<FoldedValue> other = Broadcast(*a, *y, y->integer, [](double c, double v) { return c != 0 ? 0 : v; });
    if (!picked || !other) return std::nullopt;
    out = Arithmetic("Add", *picked, *other);
  } else if (op == "ConstantOfShape") {
    // Only the 1-D results a shape computation makes (ones or -1s the length of a shape).
    if (a == nullptr || a->values.size() > 1 || (a->values.size() == 1 && a->values[0] > kMaxFoldedElements)) {
      return std::nullopt;
    }
    FoldedValue fill{.values = {0}, .integer = false};
    if (const onnx::AttributeProto* value = Attribute(node, "value"); value != nullptr && value->has_t()) {
      std::optional<FoldedValue> v = FoldedValueOf(value->t());
      if (!v || v->values.size() != 1) return std::nullopt;
      fill = *v;
    }
    const size_t n = a->values.empty() ? 1 : static_cast<size_t>(std::max(0.0, a->values[0]));
    out = FoldedValue{.values = std::vector<double>(n, fill.values[0]), .integer = fill.integer};
    if (!a->values.empty()) out->dims = {static_cast<int64_t>(n)};
  } else if (op == "Slice") {
    out = Slice(node, *a, in);
  } else if (op == "Range") {
    const FoldedValue *limit = in(1), *delta = in(2);
    if (limit == nullptr || delta == nullptr || delta->values.empty() || delta->values[0] == 0) return std::nullopt;
    out = FoldedValue{.integer = a->integer};
    for (double v = a->values.at(0); delta->values[0] > 0 ? v < limit->values.at(0) : v > limit->values.at(0);
         v += delta->values[0]) {
      if (out->values.size() >= kMaxFoldedElements) return std::nullopt;
      out->values.push_back(v);
    }
    out->dims = {static_cast<int64_t>(out->values.size())};
  } else if (op == "ReduceProd" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin") {
    out = Reduce(op, *a);
    if (out && IntAttribute(node, "keepdims", 1) != 0) out->dims = {1};
  } else if (in(1) != nullptr && IsFoldableOp(op)) {
    out = Arithmetic(op, *a, *in(1));
  }
  if (!out || out->values.size() > kMaxFoldedElements) return std::nullopt;
  return out;
}

onnx::TensorProto FoldedTensor(const std::string& name, const FoldedValue& value) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  for (int64_t d : value.dims) tensor.add_dims(d);
  if (value.integer) {
    tensor.set_data_type(onnx::TensorProto::INT64);
    for (double v : value.values) {
      // Saturating: Slice's "to the end" is INT64_MAX, which a double rounds past the int64 range.
      constexpr double kLimit = 9.2e18;
      tensor.add_int64_data(v >= kLimit    ? std::numeric_limits<int64_t>::max()
                            : v <= -kLimit ? std::numeric_limits<int64_t>::min()
                                           : static_cast<int64_t>(v));
    }
  } else {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    for (double v : value.values) tensor.add_float_data(static_cast<float>(v));
  }
  return tensor;
}

}  // namespace convlat::model::onnx_internal
