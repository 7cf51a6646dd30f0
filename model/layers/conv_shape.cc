#include "model/layers/conv_shape.h"

#include "absl/strings/str_cat.h"

namespace convlat::model {
namespace {

int64_t OrDefault(int32_t value, int64_t fallback) { return value == 0 ? fallback : value; }

// Output extent of one spatial dimension.
int64_t OutputExtent(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t effective_kernel = (kernel - 1) * dilation + 1;
  return (in + 2 * pad - effective_kernel) / stride + 1;
}

std::string FieldName(absl::string_view path, absl::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(path, ".", field);
}

absl::Status Invalid(absl::string_view path, absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(FieldName(path, field), " ", why));
}

}  // namespace

int64_t ConvShape::p() const { return OutputExtent(h, r, stride_h, pad_h, dilation_h); }
int64_t ConvShape::q() const { return OutputExtent(w, s, stride_w, pad_w, dilation_w); }

ConvShape ResolveConvShape(const v1::ConvParams& params) {
  ConvShape shape;
  shape.n = params.n();
  shape.c = params.c();
  shape.h = params.h();
  shape.w = params.w();
  shape.k = params.k();
  shape.r = params.r();
  shape.s = params.s();
  shape.stride_h = OrDefault(params.stride_h(), 1);
  shape.stride_w = OrDefault(params.stride_w(), 1);
  shape.pad_h = params.pad_h();
  shape.pad_w = params.pad_w();
  shape.dilation_h = OrDefault(params.dilation_h(), 1);
  shape.dilation_w = OrDefault(params.dilation_w(), 1);
  shape.groups = OrDefault(params.groups(), 1);
  shape.dtype = params.dtype() == v1::DATA_TYPE_UNSPECIFIED ? v1::DATA_TYPE_FP32 : params.dtype();
  shape.layout = params.layout() == v1::LAYOUT_UNSPECIFIED ? v1::LAYOUT_NCHW : params.layout();
  shape.math_mode = params.math_mode();
  return shape;
}

void NormalizeConvParams(v1::ConvParams& params) {
  const ConvShape shape = ResolveConvShape(params);
  params.set_stride_h(static_cast<int32_t>(shape.stride_h));
  params.set_stride_w(static_cast<int32_t>(shape.stride_w));
  params.set_dilation_h(static_cast<int32_t>(shape.dilation_h));
  params.set_dilation_w(static_cast<int32_t>(shape.dilation_w));
  params.set_groups(static_cast<int32_t>(shape.groups));
  params.set_dtype(shape.dtype);
  params.set_layout(shape.layout);
}

absl::Status ValidateConvParams(const v1::ConvParams& params, absl::string_view path) {
  const std::pair<const char*, int32_t> required[] = {{"n", params.n()}, {"c", params.c()}, {"h", params.h()},
                                                      {"w", params.w()}, {"k", params.k()}, {"r", params.r()},
                                                      {"s", params.s()}};
  for (const auto& [field, value] : required) {
    if (value <= 0) return Invalid(path, field, absl::StrCat("must be > 0, got ", value));
  }
  const std::pair<const char*, int32_t> defaulted[] = {{"stride_h", params.stride_h()},
                                                       {"stride_w", params.stride_w()},
                                                       {"dilation_h", params.dilation_h()},
                                                       {"dilation_w", params.dilation_w()},
                                                       {"groups", params.groups()}};
  for (const auto& [field, value] : defaulted) {
    if (value < 0) {
      return Invalid(path, field, absl::StrCat("must be >= 1 (0 means 1), got ", value));
    }
  }
  if (params.pad_h() < 0) return Invalid(path, "pad_h", absl::StrCat("must be >= 0, got ", params.pad_h()));
  if (params.pad_w() < 0) return Invalid(path, "pad_w", absl::StrCat("must be >= 0, got ", params.pad_w()));
  if (!v1::DataType_IsValid(params.dtype())) {
    return Invalid(path, "dtype", absl::StrCat("is not a known data type: ", params.dtype()));
  }
  if (!v1::Layout_IsValid(params.layout())) {
    return Invalid(path, "layout", absl::StrCat("is not a known layout: ", params.layout()));
  }
  if (!v1::MathMode_IsValid(params.math_mode())) {
    return Invalid(path, "math_mode", absl::StrCat("is not a known math mode: ", params.math_mode()));
  }

  const ConvShape shape = ResolveConvShape(params);
  if (shape.c % shape.groups != 0) {
    return Invalid(path, "groups", absl::StrCat("(", shape.groups, ") must divide c (", shape.c, ")"));
  }
  if (shape.k % shape.groups != 0) {
    return Invalid(path, "groups", absl::StrCat("(", shape.groups, ") must divide k (", shape.k, ")"));
  }
  const int64_t kernel_h = (shape.r - 1) * shape.dilation_h + 1;
  if (kernel_h > shape.h + 2 * shape.pad_h) {
    return Invalid(path, "r",
                   absl::StrCat("(dilated extent ", kernel_h, ") is larger than the padded input height (",
                                shape.h + 2 * shape.pad_h, ")"));
  }
  const int64_t kernel_w = (shape.s - 1) * shape.dilation_w + 1;
  if (kernel_w > shape.w + 2 * shape.pad_w) {
    return Invalid(path, "s",
                   absl::StrCat("(dilated extent ", kernel_w, ") is larger than the padded input width (",
                                shape.w + 2 * shape.pad_w, ")"));
  }
  // Tensors past 2^31 elements overflow the libraries' 32-bit indexing; refuse them here.
  constexpr double kMaxElements = 2147483647.0;
  const double input = double(shape.n) * shape.c * shape.h * shape.w;
  const double output = double(shape.n) * shape.k * shape.p() * shape.q();
  const double filter = double(shape.k) * (shape.c / shape.groups) * shape.r * shape.s;
  if (input > kMaxElements) return Invalid(path, "n", "makes the input tensor larger than 2^31 elements");
  if (output > kMaxElements) return Invalid(path, "k", "makes the output tensor larger than 2^31 elements");
  if (filter > kMaxElements) return Invalid(path, "k", "makes the filter tensor larger than 2^31 elements");
  return absl::OkStatus();
}

int BytesPerElement(v1::DataType dtype) {
  switch (dtype) {
    case v1::DATA_TYPE_FP16:
    case v1::DATA_TYPE_BF16: return 2;
    case v1::DATA_TYPE_INT8: return 1;
    default: return 4;
  }
}

}  // namespace convlat::model
