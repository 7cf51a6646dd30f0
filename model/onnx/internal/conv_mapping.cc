#include "model/onnx/internal/conv_mapping.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "model/layers/conv_shape.h"

namespace convlat::model::onnx_internal {

std::optional<v1::DataType> ConvDataType(int elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return v1::DATA_TYPE_FP32;
    case onnx::TensorProto::FLOAT16: return v1::DATA_TYPE_FP16;
    case onnx::TensorProto::BFLOAT16: return v1::DATA_TYPE_BF16;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: return v1::DATA_TYPE_INT8;
    default: return std::nullopt;
  }
}

Axis ResolveAxis(const onnx::NodeProto& node, int axis, int spatial_axes, int64_t in, int64_t out, int64_t kernel) {
  Axis a;
  const std::vector<int64_t> strides = IntsAttribute(node, "strides"), dilations = IntsAttribute(node, "dilations"),
                             pads = IntsAttribute(node, "pads");
  if (axis < static_cast<int>(strides.size())) a.stride = strides[axis];
  if (axis < static_cast<int>(dilations.size())) a.dilation = dilations[axis];
  const onnx::AttributeProto* auto_pad = Attribute(node, "auto_pad");
  const std::string mode = auto_pad != nullptr ? auto_pad->s() : "NOTSET";
  if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    const int64_t total = std::max<int64_t>(0, (out - 1) * a.stride + (kernel - 1) * a.dilation + 1 - in);
    a.pad = total / 2;
  } else if (mode != "VALID" && static_cast<int>(pads.size()) == 2 * spatial_axes) {
    a.pad = (pads[axis] + pads[axis + spatial_axes]) / 2;
  }
  return a;
}

bool FitsConvParams(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d <= (int64_t{1} << 30); });
}

absl::StatusOr<v1::ConvParams> ForwardConv(const onnx::NodeProto& node, int index, const Shape& x, const Shape& w,
                                           const Shape& y, int elem_type) {
  if (x.size() != 4 && x.size() != 3) {
    return NodeError(node, index, absl::StrCat("only 1-D and 2-D convolutions are supported, input is ", ShapeText(x)));
  }
  if (w.size() != x.size() || y.size() != x.size()) {
    return NodeError(
        node, index,
        absl::StrCat("filter ", ShapeText(w), " and output ", ShapeText(y), " do not match input ", ShapeText(x)));
  }
  for (const Shape* shape : {&x, &w, &y}) {
    if (!FitsConvParams(*shape))
      return NodeError(node, index, absl::StrCat("dimensions too large: ", ShapeText(*shape)));
  }
  std::optional<v1::DataType> dtype = ConvDataType(elem_type);
  if (!dtype) return NodeError(node, index, "unsupported element type for a convolution");
  const bool one_d = x.size() == 3;
  const int spatial = one_d ? 1 : 2;
  // 1-D convolutions become 2-D ones of height 1.
  const int64_t h = one_d ? 1 : x[2], w_in = one_d ? x[2] : x[3];
  const int64_t r = one_d ? 1 : w[2], s = one_d ? w[2] : w[3];
  const int64_t p = one_d ? 1 : y[2], q = one_d ? y[2] : y[3];
  const Axis ah = one_d ? Axis{} : ResolveAxis(node, 0, spatial, h, p, r);
  const Axis aw = ResolveAxis(node, one_d ? 0 : 1, spatial, w_in, q, s);
  const int64_t groups = IntAttribute(node, "group", 1);
  if (groups <= 0 || w[1] * groups != x[1]) {
    return NodeError(node, index,
                     absl::StrCat("filter ", ShapeText(w), " has ", w[1], " input channels per group; input ",
                                  ShapeText(x), " has ", x[1], " channels in ", groups, " group(s)"));
  }
  v1::ConvParams conv;
  conv.set_n(static_cast<int32_t>(x[0]));
  conv.set_c(static_cast<int32_t>(x[1]));
  conv.set_h(static_cast<int32_t>(h));
  conv.set_w(static_cast<int32_t>(w_in));
  conv.set_k(static_cast<int32_t>(w[0]));
  conv.set_r(static_cast<int32_t>(r));
  conv.set_s(static_cast<int32_t>(s));
  conv.set_stride_h(static_cast<int32_t>(ah.stride));
  conv.set_stride_w(static_cast<int32_t>(aw.stride));
  conv.set_pad_h(static_cast<int32_t>(ah.pad));
  conv.set_pad_w(static_cast<int32_t>(aw.pad));
  conv.set_dilation_h(static_cast<int32_t>(ah.dilation));
  conv.set_dilation_w(static_cast<int32_t>(aw.dilation));
  conv.set_groups(static_cast<int32_t>(groups));
  conv.set_dtype(*dtype);
  conv.set_layout(v1::LAYOUT_NCHW);
  NormalizeConvParams(conv);
  if (absl::Status valid = ValidateConvParams(conv, "conv"); !valid.ok())
    return NodeError(node, index, valid.message());
  return conv;
}

namespace {

// `groups` independent m x k x n products as one 1x1 convolution with that many groups. The groups
// are set before the check: the filter of a batched product is block-diagonal, and checked as a
// dense one it would count groups^2 blocks where the product stores `groups`.
absl::StatusOr<v1::ConvParams> GroupedGemmAsConv(const onnx::NodeProto& node, int index, int64_t m, int64_t k,
                                                 int64_t n, int64_t groups, int elem_type) {
  std::optional<v1::DataType> dtype = ConvDataType(elem_type);
  if (!dtype) return NodeError(node, index, "unsupported element type for a matrix product");
  if (!FitsConvParams({m, k, n}))
    return NodeError(node, index, absl::StrCat("dimensions too large: ", m, "x", k, "x", n));
  v1::ConvParams conv;
  conv.set_n(1);
  conv.set_c(static_cast<int32_t>(k));
  conv.set_h(static_cast<int32_t>(m));
  conv.set_w(1);
  conv.set_k(static_cast<int32_t>(n));
  conv.set_r(1);
  conv.set_s(1);
  conv.set_groups(static_cast<int32_t>(groups));
  conv.set_dtype(*dtype);
  NormalizeConvParams(conv);
  if (absl::Status valid = ValidateConvParams(conv, groups > 1 ? "batched gemm" : "gemm"); !valid.ok())
    return NodeError(node, index, valid.message());
  return conv;
}

}  // namespace

absl::StatusOr<v1::ConvParams> GemmAsConv(const onnx::NodeProto& node, int index, int64_t m, int64_t k, int64_t n,
                                          int elem_type) {
  return GroupedGemmAsConv(node, index, m, k, n, /*groups=*/1, elem_type);
}

absl::StatusOr<v1::ConvParams> BatchedGemmAsConv(const onnx::NodeProto& node, int index, int64_t batch, int64_t m,
                                                 int64_t k, int64_t n, int elem_type) {
  if (batch <= 1) return GemmAsConv(node, index, m, k, n, elem_type);
  if (batch > (int64_t{1} << 30) / std::max<int64_t>({k, n, 1})) {
    return NodeError(node, index, absl::StrCat("dimensions too large: ", batch, " batches of ", m, "x", k, "x", n));
  }
  return GroupedGemmAsConv(node, index, m, batch * k, batch * n, batch, elem_type);
}

absl::StatusOr<v1::ConvParams> EinsumAsConv(const onnx::NodeProto& node, int index, const Shape& a, const Shape& b,
                                            int elem_type) {
  const onnx::AttributeProto* attribute = Attribute(node, "equation");
  std::string equation = attribute != nullptr ? attribute->s() : "";
  equation.erase(std::remove(equation.begin(), equation.end(), ' '), equation.end());
  auto not_matmul = [&](absl::string_view why) {
    return NodeError(node, index,
                     absl::StrCat("Einsum '", equation, "' is not a matrix product convlat maps (", why,
                                  "); only two-operand products like 'bij,bjk->bik' are supported"));
  };
  const std::vector<std::string> sides = absl::StrSplit(equation, "->");
  if (sides.size() != 2) return not_matmul("no explicit output");
  const std::vector<std::string> operands = absl::StrSplit(sides[0], ',');
  if (operands.size() != 2) return not_matmul("not two operands");
  if (absl::StrContains(equation, ".")) return not_matmul("an ellipsis");
  if (operands[0].size() != a.size() || operands[1].size() != b.size())
    return not_matmul("ranks differ from the inputs");
  absl::flat_hash_map<char, int64_t> size;
  for (const auto& [letters, shape] : {std::pair(operands[0], a), std::pair(operands[1], b)}) {
    for (size_t i = 0; i < letters.size(); ++i) {
      auto [it, inserted] = size.try_emplace(letters[i], shape[i]);
      if (!inserted && it->second != shape[i] && it->second != 1 && shape[i] != 1) return not_matmul("sizes differ");
      it->second = std::max(it->second, shape[i]);
    }
  }
  int64_t batch = 1, m = 1, k = 1, n = 1;
  for (const auto& [letter, extent] : size) {
    const bool in_a = absl::StrContains(operands[0], letter), in_b = absl::StrContains(operands[1], letter),
               in_out = absl::StrContains(sides[1], letter);
    int64_t& product = in_a && in_b ? (in_out ? batch : k) : in_out ? (in_a ? m : n) : batch;
    if (!in_out && !(in_a && in_b))
      return not_matmul(absl::StrCat("'", std::string(1, letter), "' is summed in one operand"));
    if (product > (int64_t{1} << 30) / std::max<int64_t>(extent, 1)) return not_matmul("dimensions too large");
    product *= extent;
  }
  for (char letter : sides[1]) {
    if (!size.contains(letter)) return not_matmul(absl::StrCat("'", std::string(1, letter), "' is in no operand"));
  }
  return BatchedGemmAsConv(node, index, batch, m, k, n, elem_type);
}

}  // namespace convlat::model::onnx_internal
