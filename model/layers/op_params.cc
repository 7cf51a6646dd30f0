#include "model/layers/op_params.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/enum_names.h"

namespace convlat::model {
namespace {

constexpr int kMaxConcatInputs = 4096;

absl::Status Invalid(absl::string_view path, absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "" : absl::StrCat(path, "."), field, " ", why));
}

const EnumNames<v1::OpKind>& KindNames() {
  static const auto* table = new EnumNames<v1::OpKind>{{"max_pool", v1::OP_KIND_MAX_POOL},
                                                       {"avg_pool", v1::OP_KIND_AVG_POOL},
                                                       {"activation", v1::OP_KIND_ACTIVATION},
                                                       {"binary", v1::OP_KIND_BINARY},
                                                       {"concat", v1::OP_KIND_CONCAT},
                                                       {"softmax", v1::OP_KIND_SOFTMAX},
                                                       {"resize", v1::OP_KIND_RESIZE},
                                                       {"batch_norm", v1::OP_KIND_BATCH_NORM},
                                                       {"copy", v1::OP_KIND_COPY}};
  return *table;
}

// The functions a kind accepts; the first is its default. Kinds without functions: empty.
const std::vector<std::string>& FunctionsOf(v1::OpKind kind) {
  static const auto* activation =
      new std::vector<std::string>{"relu", "leakyrelu", "clip", "sigmoid", "hardsigmoid", "hardswish", "tanh", "elu",
                                   "gelu", "exp",       "log",  "sqrt",    "abs",         "softplus",  "mish", "silu"};
  static const auto* binary = new std::vector<std::string>{"add", "sub", "mul", "div"};
  static const auto* resize = new std::vector<std::string>{"nearest", "linear"};
  static const auto* none = new std::vector<std::string>{};
  switch (kind) {
    case v1::OP_KIND_ACTIVATION: return *activation;
    case v1::OP_KIND_BINARY: return *binary;
    case v1::OP_KIND_RESIZE: return *resize;
    default: return *none;
  }
}

bool IsPooling(v1::OpKind kind) { return kind == v1::OP_KIND_MAX_POOL || kind == v1::OP_KIND_AVG_POOL; }

int64_t OrOne(int32_t value) { return value == 0 ? 1 : value; }

}  // namespace

void NormalizeOpParams(v1::OpParams& op) {
  if (IsPooling(op.kind())) {
    op.set_stride_h(static_cast<int32_t>(OrOne(op.stride_h())));
    op.set_stride_w(static_cast<int32_t>(OrOne(op.stride_w())));
  }
  if (op.kind() == v1::OP_KIND_CONCAT && op.inputs() == 0) op.set_inputs(2);
  const std::vector<std::string>& functions = FunctionsOf(op.kind());
  if (op.function().empty() && !functions.empty()) op.set_function(functions.front());
  op.set_function(absl::AsciiStrToLower(op.function()));
  if (op.dtype() == v1::DATA_TYPE_UNSPECIFIED) op.set_dtype(v1::DATA_TYPE_FP32);
  if (op.layout() == v1::LAYOUT_UNSPECIFIED) op.set_layout(v1::LAYOUT_NCHW);
}

absl::Status ValidateOpParams(const v1::OpParams& op, absl::string_view path) {
  if (!v1::OpKind_IsValid(op.kind()) || op.kind() == v1::OP_KIND_UNSPECIFIED) {
    return Invalid(path, "kind", absl::StrCat("must be a known op kind, got ", op.kind()));
  }
  const std::pair<const char*, int32_t> required[] = {{"n", op.n()}, {"c", op.c()}, {"h", op.h()}, {"w", op.w()}};
  for (const auto& [field, value] : required) {
    if (value <= 0) return Invalid(path, field, absl::StrCat("must be > 0, got ", value));
  }
  const std::pair<const char*, int32_t> non_negative[] = {
      {"kernel_h", op.kernel_h()}, {"kernel_w", op.kernel_w()}, {"stride_h", op.stride_h()},
      {"stride_w", op.stride_w()}, {"pad_h", op.pad_h()},       {"pad_w", op.pad_w()},
      {"out_h", op.out_h()},       {"out_w", op.out_w()},       {"inputs", op.inputs()}};
  for (const auto& [field, value] : non_negative) {
    if (value < 0) return Invalid(path, field, absl::StrCat("must be >= 0, got ", value));
  }
  if (!v1::DataType_IsValid(op.dtype()))
    return Invalid(path, "dtype", absl::StrCat("is not a known data type: ", op.dtype()));
  if (!v1::Layout_IsValid(op.layout()))
    return Invalid(path, "layout", absl::StrCat("is not a known layout: ", op.layout()));

  if (IsPooling(op.kind())) {
    if (op.kernel_h() == 0 || op.kernel_w() == 0)
      return Invalid(path, "kernel_h", "and kernel_w are required for pooling");
    if (op.kernel_h() > int64_t{op.h()} + 2 * int64_t{op.pad_h()}) {
      return Invalid(path, "kernel_h", absl::StrCat("(", op.kernel_h(), ") is larger than the padded input height"));
    }
    if (op.kernel_w() > int64_t{op.w()} + 2 * int64_t{op.pad_w()}) {
      return Invalid(path, "kernel_w", absl::StrCat("(", op.kernel_w(), ") is larger than the padded input width"));
    }
    if (op.pad_h() >= op.kernel_h() || op.pad_w() >= op.kernel_w()) {
      return Invalid(path, "pad_h", "and pad_w must be smaller than the pooling window");
    }
  }
  if (op.kind() == v1::OP_KIND_RESIZE && (op.out_h() == 0 || op.out_w() == 0)) {
    return Invalid(path, "out_h", "and out_w are required for resize");
  }
  if (op.kind() == v1::OP_KIND_CONCAT && (op.inputs() > op.c() || op.inputs() > kMaxConcatInputs)) {
    return Invalid(path, "inputs",
                   absl::StrCat("(", op.inputs(), ") must be at most c (", op.c(), ") and at most ", kMaxConcatInputs));
  }
  const std::vector<std::string>& functions = FunctionsOf(op.kind());
  if (functions.empty()) {
    if (!op.function().empty())
      return Invalid(path, "function", absl::StrCat("must be empty for ", OpKindName(op.kind())));
  } else if (!op.function().empty() &&
             std::find(functions.begin(), functions.end(), absl::AsciiStrToLower(op.function())) == functions.end()) {
    return Invalid(path, "function",
                   absl::StrCat("'", op.function(), "' is not a ", OpKindName(op.kind()), " function (expected one of ",
                                absl::StrJoin(functions, ", "), ")"));
  }
  return absl::OkStatus();
}

int64_t PooledHeight(const v1::OpParams& op) {
  return (op.h() + 2 * int64_t{op.pad_h()} - op.kernel_h()) / OrOne(op.stride_h()) + 1;
}
int64_t PooledWidth(const v1::OpParams& op) {
  return (op.w() + 2 * int64_t{op.pad_w()} - op.kernel_w()) / OrOne(op.stride_w()) + 1;
}

OpWork WorkOf(const v1::OpParams& op) {
  const double element_bytes =
      BytesPerElement(op.dtype() == v1::DATA_TYPE_UNSPECIFIED ? v1::DATA_TYPE_FP32 : op.dtype());
  const double planes = static_cast<double>(op.n()) * op.c();
  const double input = planes * op.h() * op.w();
  switch (op.kind()) {
    case v1::OP_KIND_MAX_POOL:
    case v1::OP_KIND_AVG_POOL: {
      const double output = planes * static_cast<double>(PooledHeight(op)) * static_cast<double>(PooledWidth(op));
      return {(input + output) * element_bytes, output * op.kernel_h() * op.kernel_w()};
    }
    case v1::OP_KIND_BINARY: {
      const double second = op.broadcast() ? planes : input;
      return {(2 * input + second) * element_bytes, input};
    }
    case v1::OP_KIND_RESIZE: {
      const double output = planes * op.out_h() * op.out_w();
      const double per_output = op.function() == "linear" ? 4 : 1;
      return {(input + output) * element_bytes, output * per_output};
    }
    case v1::OP_KIND_SOFTMAX: return {2 * input * element_bytes, 3 * input};     // exp, sum, divide
    case v1::OP_KIND_BATCH_NORM: return {2 * input * element_bytes, 2 * input};  // scale and shift
    case v1::OP_KIND_ACTIVATION: return {2 * input * element_bytes, input};
    case v1::OP_KIND_CONCAT:
    case v1::OP_KIND_COPY: return {2 * input * element_bytes, 0};
    default: return {2 * input * element_bytes, 0};
  }
}

std::string OpKindName(v1::OpKind kind) { return EnumName(kind, KindNames(), "unspecified"); }

absl::StatusOr<v1::OpKind> ParseOpKind(absl::string_view name) { return LookUpEnum("op", name, KindNames()); }

absl::StatusOr<v1::OpParams> ParseOpSpec(absl::string_view spec) {
  v1::OpParams op;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> items = SplitSpec(spec, "op");
  if (!items.ok()) return items.status();
  for (const auto& [key, value] : *items) {
    if (key == "op") {
      absl::StatusOr<v1::OpKind> kind = ParseOpKind(value);
      if (!kind.ok()) return kind.status();
      op.set_kind(*kind);
      continue;
    }
    if (key == "function") {
      op.set_function(absl::AsciiStrToLower(value));
      continue;
    }
    if (key == "dtype" || key == "layout") {
      if (key == "dtype") {
        absl::StatusOr<v1::DataType> dtype = ParseDataType(value);
        if (!dtype.ok()) return dtype.status();
        op.set_dtype(*dtype);
      } else {
        absl::StatusOr<v1::Layout> layout = ParseLayout(value);
        if (!layout.ok()) return layout.status();
        op.set_layout(*layout);
      }
      continue;
    }
    int32_t number = 0;
    if (!absl::SimpleAtoi(value, &number)) {
      return absl::InvalidArgumentError(absl::StrCat("value of ", key, " is not an integer: '", value, "'"));
    }
    if (key == "n")
      op.set_n(number);
    else if (key == "c")
      op.set_c(number);
    else if (key == "h")
      op.set_h(number);
    else if (key == "w")
      op.set_w(number);
    else if (key == "kernel") {
      op.set_kernel_h(number);
      op.set_kernel_w(number);
    } else if (key == "kernel_h")
      op.set_kernel_h(number);
    else if (key == "kernel_w")
      op.set_kernel_w(number);
    else if (key == "stride") {
      op.set_stride_h(number);
      op.set_stride_w(number);
    } else if (key == "stride_h")
      op.set_stride_h(number);
    else if (key == "stride_w")
      op.set_stride_w(number);
    else if (key == "pad") {
      op.set_pad_h(number);
      op.set_pad_w(number);
    } else if (key == "pad_h")
      op.set_pad_h(number);
    else if (key == "pad_w")
      op.set_pad_w(number);
    else if (key == "out_h")
      op.set_out_h(number);
    else if (key == "out_w")
      op.set_out_w(number);
    else if (key == "inputs")
      op.set_inputs(number);
    else if (key == "broadcast")
      op.set_broadcast(number != 0);
    else
      return absl::InvalidArgumentError(absl::StrCat("unknown op key '", key, "'"));
  }
  if (op.kind() == v1::OP_KIND_UNSPECIFIED) return absl::InvalidArgumentError("op spec needs op=KIND");
  return op;
}

std::string FormatOpSpec(const v1::OpParams& op) {
  std::string out = absl::StrCat("op=", OpKindName(op.kind()));
  if (!op.function().empty()) absl::StrAppend(&out, ",function=", op.function());
  absl::StrAppend(&out, ",n=", op.n(), ",c=", op.c(), ",h=", op.h(), ",w=", op.w());
  auto pair = [&out](absl::string_view both, int32_t vh, int32_t vw, int32_t fallback) {
    if (vh == vw) {
      if (vh != fallback) absl::StrAppend(&out, ",", both, "=", vh);
    } else {
      absl::StrAppend(&out, ",", both, "_h=", vh, ",", both, "_w=", vw);
    }
  };
  if (IsPooling(op.kind())) {
    pair("kernel", op.kernel_h(), op.kernel_w(), 0);
    pair("stride", static_cast<int32_t>(OrOne(op.stride_h())), static_cast<int32_t>(OrOne(op.stride_w())), 1);
    pair("pad", op.pad_h(), op.pad_w(), 0);
  }
  if (op.out_h() != 0) absl::StrAppend(&out, ",out_h=", op.out_h());
  if (op.out_w() != 0) absl::StrAppend(&out, ",out_w=", op.out_w());
  if (op.inputs() != 0) absl::StrAppend(&out, ",inputs=", op.inputs());
  if (op.broadcast()) absl::StrAppend(&out, ",broadcast=1");
  if (op.dtype() != v1::DATA_TYPE_UNSPECIFIED && op.dtype() != v1::DATA_TYPE_FP32) {
    absl::StrAppend(&out, ",dtype=", DataTypeName(op.dtype()));
  }
  if (op.layout() == v1::LAYOUT_NHWC || op.layout() == v1::LAYOUT_NATIVE) {
    absl::StrAppend(&out, ",layout=", LayoutName(op.layout()));
  }
  return out;
}

}  // namespace convlat::model
