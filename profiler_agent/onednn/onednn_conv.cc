#include "profiler_agent/onednn/onednn_conv.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"

namespace convlat::agent {

using dnnl::memory;

absl::StatusOr<PreparedPrimitive> PrepareOneDnnConv(const v1::ConvParams& params, const dnnl::engine& engine) {
  const model::ConvShape shape = model::ResolveConvShape(params);
  const std::optional<memory::data_type> type = OneDnnDataType(shape.dtype);
  if (!type) {
    return absl::UnimplementedError(
        absl::StrCat("dtype ", model::DataTypeName(shape.dtype), " is not supported by the cpu backend"));
  }
  // Native: oneDNN picks the activations' layout (blocked), as runtimes that propagate it do.
  const memory::format_tag activation_tag = shape.layout == v1::LAYOUT_NHWC     ? memory::format_tag::nhwc
                                            : shape.layout == v1::LAYOUT_NATIVE ? memory::format_tag::any
                                                                                : memory::format_tag::nchw;
  const memory::dims src_dims = {shape.n, shape.c, shape.h, shape.w};
  const memory::dims dst_dims = {shape.n, shape.k, shape.p(), shape.q()};
  const memory::dims weight_dims =
      shape.groups == 1 ? memory::dims{shape.k, shape.c, shape.r, shape.s}
                        : memory::dims{shape.groups, shape.k / shape.groups, shape.c / shape.groups, shape.r, shape.s};
  const memory::desc src_md(src_dims, *type, activation_tag);
  const memory::desc weight_md(weight_dims, *type, memory::format_tag::any);
  const memory::desc dst_md(dst_dims, *type, activation_tag);
  // oneDNN counts dilation from 0 (0 = dense kernel).
  const dnnl::convolution_forward::desc conv_desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, weight_md, dst_md,
      {shape.stride_h, shape.stride_w}, {shape.dilation_h - 1, shape.dilation_w - 1}, {shape.pad_h, shape.pad_w},
      {shape.pad_h, shape.pad_w});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::convolution_forward::primitive_desc pd(conv_desc, attr, engine);

  memory src(pd.src_desc(), engine), weights(pd.weights_desc(), engine), dst(pd.dst_desc(), engine);
  memory scratchpad(pd.scratchpad_desc(), engine);
  std::mt19937 rng(42);
  FillRandom(src, shape.dtype, rng);
  FillRandom(weights, shape.dtype, rng);
  return PreparedPrimitive{
      dnnl::convolution_forward(pd),
      {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratchpad}},
      pd.impl_info_str(),
      static_cast<int64_t>(pd.scratchpad_desc().get_size())};
}

}  // namespace convlat::agent
