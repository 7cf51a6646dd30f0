#include "model/layers/conv_spec.h"

#include <functional>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "model/layers/enum_names.h"

namespace convlat::model {
namespace {

using IntSetter = std::function<void(v1::ConvParams&, int32_t)>;

const std::map<std::string, IntSetter, std::less<>>& IntKeys() {
  static const auto* keys = new std::map<std::string, IntSetter, std::less<>>{
      {"n", [](v1::ConvParams& p, int32_t v) { p.set_n(v); }},
      {"c", [](v1::ConvParams& p, int32_t v) { p.set_c(v); }},
      {"h", [](v1::ConvParams& p, int32_t v) { p.set_h(v); }},
      {"w", [](v1::ConvParams& p, int32_t v) { p.set_w(v); }},
      {"k", [](v1::ConvParams& p, int32_t v) { p.set_k(v); }},
      {"r", [](v1::ConvParams& p, int32_t v) { p.set_r(v); }},
      {"s", [](v1::ConvParams& p, int32_t v) { p.set_s(v); }},
      {"stride",
       [](v1::ConvParams& p, int32_t v) {
         p.set_stride_h(v);
         p.set_stride_w(v);
       }},
      {"stride_h", [](v1::ConvParams& p, int32_t v) { p.set_stride_h(v); }},
      {"stride_w", [](v1::ConvParams& p, int32_t v) { p.set_stride_w(v); }},
      {"pad",
       [](v1::ConvParams& p, int32_t v) {
         p.set_pad_h(v);
         p.set_pad_w(v);
       }},
      {"pad_h", [](v1::ConvParams& p, int32_t v) { p.set_pad_h(v); }},
      {"pad_w", [](v1::ConvParams& p, int32_t v) { p.set_pad_w(v); }},
      {"dilation",
       [](v1::ConvParams& p, int32_t v) {
         p.set_dilation_h(v);
         p.set_dilation_w(v);
       }},
      {"dilation_h", [](v1::ConvParams& p, int32_t v) { p.set_dilation_h(v); }},
      {"dilation_w", [](v1::ConvParams& p, int32_t v) { p.set_dilation_w(v); }},
      {"groups", [](v1::ConvParams& p, int32_t v) { p.set_groups(v); }},
  };
  return *keys;
}

const std::vector<std::pair<std::string, v1::DataType>>& DataTypes() {
  static const auto* table = new std::vector<std::pair<std::string, v1::DataType>>{{"fp32", v1::DATA_TYPE_FP32},
                                                                                   {"fp16", v1::DATA_TYPE_FP16},
                                                                                   {"bf16", v1::DATA_TYPE_BF16},
                                                                                   {"int8", v1::DATA_TYPE_INT8}};
  return *table;
}
const std::vector<std::pair<std::string, v1::Layout>>& Layouts() {
  static const auto* table = new std::vector<std::pair<std::string, v1::Layout>>{
      {"nchw", v1::LAYOUT_NCHW}, {"nhwc", v1::LAYOUT_NHWC}, {"native", v1::LAYOUT_NATIVE}};
  return *table;
}
const std::vector<std::pair<std::string, v1::MathMode>>& MathModes() {
  static const auto* table = new std::vector<std::pair<std::string, v1::MathMode>>{
      {"default", v1::MATH_MODE_DEFAULT}, {"tensor_op", v1::MATH_MODE_TENSOR_OP}};
  return *table;
}

}  // namespace

absl::StatusOr<v1::DataType> ParseDataType(absl::string_view name) { return LookUpEnum("dtype", name, DataTypes()); }
absl::StatusOr<v1::Layout> ParseLayout(absl::string_view name) { return LookUpEnum("layout", name, Layouts()); }
absl::StatusOr<v1::MathMode> ParseMathMode(absl::string_view name) {
  return LookUpEnum("math mode", name, MathModes());
}
std::string DataTypeName(v1::DataType dtype) { return EnumName(dtype, DataTypes(), "fp32"); }
std::string LayoutName(v1::Layout layout) { return EnumName(layout, Layouts(), "nchw"); }
std::string MathModeName(v1::MathMode mode) { return EnumName(mode, MathModes(), "default"); }

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SplitSpec(absl::string_view spec,
                                                                           absl::string_view what) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(spec);
  if (trimmed.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what, " spec"));
  std::vector<std::pair<std::string, std::string>> items;
  for (absl::string_view item : absl::StrSplit(trimmed, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const std::vector<absl::string_view> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("'", item, "' is not key=value"));
    }
    items.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv[0])),
                       std::string(absl::StripAsciiWhitespace(kv[1])));
  }
  return items;
}

absl::StatusOr<v1::ConvParams> ParseConvSpec(absl::string_view spec) {
  v1::ConvParams params;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> items = SplitSpec(spec, "conv");
  if (!items.ok()) return items.status();
  for (const auto& [key, value] : *items) {
    if (key == "dtype") {
      absl::StatusOr<v1::DataType> dtype = ParseDataType(value);
      if (!dtype.ok()) return dtype.status();
      params.set_dtype(*dtype);
    } else if (key == "layout") {
      absl::StatusOr<v1::Layout> layout = ParseLayout(value);
      if (!layout.ok()) return layout.status();
      params.set_layout(*layout);
    } else if (key == "math") {
      absl::StatusOr<v1::MathMode> math = ParseMathMode(value);
      if (!math.ok()) return math.status();
      params.set_math_mode(*math);
    } else if (auto it = IntKeys().find(key); it != IntKeys().end()) {
      int32_t number = 0;
      if (!absl::SimpleAtoi(value, &number)) {
        return absl::InvalidArgumentError(absl::StrCat("value of ", key, " is not an integer: '", value, "'"));
      }
      it->second(params, number);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown conv key '", key, "'"));
    }
  }
  return params;
}

std::string FormatConvSpec(const v1::ConvParams& p) {
  std::string out =
      absl::StrCat("n=", p.n(), ",c=", p.c(), ",h=", p.h(), ",w=", p.w(), ",k=", p.k(), ",r=", p.r(), ",s=", p.s());
  auto pair = [&out](absl::string_view both, absl::string_view suffix_h, absl::string_view suffix_w, int32_t vh,
                     int32_t vw, int32_t fallback) {
    if (vh == 0) vh = fallback;
    if (vw == 0) vw = fallback;
    if (vh == vw) {
      if (vh != fallback) absl::StrAppend(&out, ",", both, "=", vh);
    } else {
      absl::StrAppend(&out, ",", suffix_h, "=", vh, ",", suffix_w, "=", vw);
    }
  };
  pair("stride", "stride_h", "stride_w", p.stride_h(), p.stride_w(), 1);
  pair("pad", "pad_h", "pad_w", p.pad_h(), p.pad_w(), 0);
  pair("dilation", "dilation_h", "dilation_w", p.dilation_h(), p.dilation_w(), 1);
  if (p.groups() > 1) absl::StrAppend(&out, ",groups=", p.groups());
  if (p.dtype() != v1::DATA_TYPE_UNSPECIFIED && p.dtype() != v1::DATA_TYPE_FP32) {
    absl::StrAppend(&out, ",dtype=", DataTypeName(p.dtype()));
  }
  if (p.layout() == v1::LAYOUT_NHWC || p.layout() == v1::LAYOUT_NATIVE) {
    absl::StrAppend(&out, ",layout=", LayoutName(p.layout()));
  }
  if (p.math_mode() == v1::MATH_MODE_TENSOR_OP) absl::StrAppend(&out, ",math=tensor_op");
  return out;
}

}  // namespace convlat::model
