#include "profiler_agent/onednn/onednn_ops.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::agent {
namespace {

using dnnl::memory;

struct EltwiseFunction {
  dnnl::algorithm algorithm;
  float alpha = 0, beta = 0;
};

// oneDNN 2.6 has no hard sigmoid; hardswish does the same multiply-add-clip per element and
// stands in for it.
const absl::flat_hash_map<std::string, EltwiseFunction>& EltwiseFunctions() {
  static const auto* functions =
      new absl::flat_hash_map<std::string, EltwiseFunction>{{"relu", {dnnl::algorithm::eltwise_relu}},
                                                            {"leakyrelu", {dnnl::algorithm::eltwise_relu, 0.01f}},
                                                            {"clip", {dnnl::algorithm::eltwise_clip, 0.0f, 6.0f}},
                                                            {"sigmoid", {dnnl::algorithm::eltwise_logistic}},
                                                            {"hardsigmoid", {dnnl::algorithm::eltwise_hardswish}},
                                                            {"hardswish", {dnnl::algorithm::eltwise_hardswish}},
                                                            {"tanh", {dnnl::algorithm::eltwise_tanh}},
                                                            {"elu", {dnnl::algorithm::eltwise_elu, 1.0f}},
                                                            {"gelu", {dnnl::algorithm::eltwise_gelu_erf}},
                                                            {"exp", {dnnl::algorithm::eltwise_exp}},
                                                            {"log", {dnnl::algorithm::eltwise_log}},
                                                            {"sqrt", {dnnl::algorithm::eltwise_sqrt}},
                                                            {"abs", {dnnl::algorithm::eltwise_abs}},
                                                            {"softplus", {dnnl::algorithm::eltwise_soft_relu}},
                                                            {"mish", {dnnl::algorithm::eltwise_mish}},
                                                            {"silu", {dnnl::algorithm::eltwise_swish, 1.0f}}};
  return *functions;
}

dnnl::algorithm BinaryAlgorithm(const std::string& function) {
  if (function == "sub") return dnnl::algorithm::binary_sub;
  if (function == "mul") return dnnl::algorithm::binary_mul;
  if (function == "div") return dnnl::algorithm::binary_div;
  return dnnl::algorithm::binary_add;
}

// Builds the arguments of a primitive: allocates each memory and fills the inputs.
class Operands {
 public:
  Operands(const dnnl::engine& engine, v1::DataType dtype) : engine_(engine), dtype_(dtype), rng_(42) {}

  void Input(int arg, const memory::desc& desc) {
    memory m(desc, engine_);
    FillRandom(m, dtype_, rng_);
    args_[arg] = m;
  }
  void Output(int arg, const memory::desc& desc) { args_[arg] = memory(desc, engine_); }

  template <typename PrimitiveDesc>
  PreparedPrimitive Finish(const PrimitiveDesc& pd, dnnl::primitive primitive) {
    Output(DNNL_ARG_SCRATCHPAD, pd.scratchpad_desc());
    return {std::move(primitive), std::move(args_), pd.impl_info_str(),
            static_cast<int64_t>(pd.scratchpad_desc().get_size())};
  }

 private:
  const dnnl::engine& engine_;
  v1::DataType dtype_;
  std::mt19937 rng_;
  std::unordered_map<int, memory> args_;
};

// The layout of an op's activations. Native is the blocked layout oneDNN's convolutions choose on
// this CPU (16 channels per block with AVX-512, else 8), the one a runtime keeps between layers.
memory::format_tag ActivationTag(v1::Layout layout) {
  switch (layout) {
    case v1::LAYOUT_NHWC: return memory::format_tag::nhwc;
    case v1::LAYOUT_NATIVE: {
      const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
      const bool avx512 = isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
                          isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
      return avx512 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c;
    }
    default: return memory::format_tag::nchw;
  }
}

}  // namespace

absl::StatusOr<PreparedPrimitive> PrepareOneDnnOp(const v1::OpParams& op, const dnnl::engine& engine) {
  const std::optional<memory::data_type> type = OneDnnDataType(op.dtype());
  if (!type) {
    return absl::UnimplementedError(
        absl::StrCat("dtype ", model::DataTypeName(op.dtype()), " is not supported by the cpu backend"));
  }
  const memory::format_tag tag = ActivationTag(op.layout());
  const memory::dims dims = {op.n(), op.c(), op.h(), op.w()};
  const memory::desc src(dims, *type, tag);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto inference = dnnl::prop_kind::forward_inference;
  Operands operands(engine, op.dtype());

  switch (op.kind()) {
    case v1::OP_KIND_MAX_POOL:
    case v1::OP_KIND_AVG_POOL: {
      const memory::desc dst({op.n(), op.c(), model::PooledHeight(op), model::PooledWidth(op)}, *type, tag);
      // ONNX averages over the window without the padding by default (count_include_pad = 0).
      const dnnl::algorithm algorithm = op.kind() == v1::OP_KIND_MAX_POOL
                                            ? dnnl::algorithm::pooling_max
                                            : dnnl::algorithm::pooling_avg_exclude_padding;
      const dnnl::pooling_forward::primitive_desc pd({inference,
                                                      algorithm,
                                                      src,
                                                      dst,
                                                      {op.stride_h(), op.stride_w()},
                                                      {op.kernel_h(), op.kernel_w()},
                                                      {op.pad_h(), op.pad_w()},
                                                      {op.pad_h(), op.pad_w()}},
                                                     attr, engine);
      operands.Input(DNNL_ARG_SRC, pd.src_desc());
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      operands.Output(DNNL_ARG_WORKSPACE, pd.workspace_desc());
      return operands.Finish(pd, dnnl::pooling_forward(pd));
    }
    case v1::OP_KIND_ACTIVATION: {
      const auto it = EltwiseFunctions().find(op.function());
      if (it == EltwiseFunctions().end())
        return absl::InvalidArgumentError(absl::StrCat("function '", op.function(), "'"));
      const dnnl::eltwise_forward::primitive_desc pd(
          {inference, it->second.algorithm, src, it->second.alpha, it->second.beta}, attr, engine);
      operands.Input(DNNL_ARG_SRC, pd.src_desc());
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      return operands.Finish(pd, dnnl::eltwise_forward(pd));
    }
    case v1::OP_KIND_BINARY: {
      const memory::desc second = op.broadcast() ? memory::desc({op.n(), op.c(), 1, 1}, *type, tag) : src;
      // A division by a broadcast operand (a layer norm's by its rows' deviations) is timed as the
      // multiplication by its reciprocals that runtimes make of it: the same bytes, and oneDNN
      // 2.6's blocked layout only divides with its reference kernel when the channels are not a
      // multiple of its block (ViT's 197 tokens: 10 ms for a 1x197x768 division, 50 us multiplied).
      const dnnl::algorithm algorithm =
          op.broadcast() && op.function() == "div" ? dnnl::algorithm::binary_mul : BinaryAlgorithm(op.function());
      const dnnl::binary::primitive_desc pd({algorithm, src, second, src}, attr, engine);
      operands.Input(DNNL_ARG_SRC_0, pd.src_desc(0));
      operands.Input(DNNL_ARG_SRC_1, pd.src_desc(1));
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      return operands.Finish(pd, dnnl::binary(pd));
    }
    case v1::OP_KIND_CONCAT: {
      // The output's channels split evenly over the inputs, the remainder to the last.
      std::vector<memory::desc> sources;
      const int per_input = op.c() / op.inputs();
      for (int i = 0; i < op.inputs(); ++i) {
        const int channels = i + 1 < op.inputs() ? per_input : op.c() - per_input * (op.inputs() - 1);
        sources.emplace_back(memory::dims{op.n(), channels, op.h(), op.w()}, *type, tag);
      }
      const dnnl::concat::primitive_desc pd(src, 1, sources, engine, attr);
      for (int i = 0; i < op.inputs(); ++i) operands.Input(DNNL_ARG_MULTIPLE_SRC + i, sources[i]);
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      return operands.Finish(pd, dnnl::concat(pd));
    }
    case v1::OP_KIND_SOFTMAX: {
      const dnnl::softmax_forward::primitive_desc pd({inference, src, 1}, attr, engine);
      operands.Input(DNNL_ARG_SRC, pd.src_desc());
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      return operands.Finish(pd, dnnl::softmax_forward(pd));
    }
    case v1::OP_KIND_RESIZE: {
      const memory::desc dst({op.n(), op.c(), op.out_h(), op.out_w()}, *type, tag);
      const dnnl::algorithm algorithm =
          op.function() == "linear" ? dnnl::algorithm::resampling_linear : dnnl::algorithm::resampling_nearest;
      const dnnl::resampling_forward::primitive_desc pd({inference, algorithm, src, dst}, attr, engine);
      operands.Input(DNNL_ARG_SRC, pd.src_desc());
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      return operands.Finish(pd, dnnl::resampling_forward(pd));
    }
    case v1::OP_KIND_BATCH_NORM: {
      const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                         dnnl::normalization_flags::use_shift;
      const dnnl::batch_normalization_forward::primitive_desc pd({inference, src, 1e-5f, flags}, attr, engine);
      // Statistics, scale and shift are f32 per channel whatever the data type.
      const memory::desc channel({op.c()}, memory::data_type::f32, memory::format_tag::a);
      operands.Input(DNNL_ARG_SRC, pd.src_desc());
      for (int arg : {DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE, DNNL_ARG_SHIFT}) operands.Input(arg, channel);
      operands.Output(DNNL_ARG_DST, pd.dst_desc());
      return operands.Finish(pd, dnnl::batch_normalization_forward(pd));
    }
    case v1::OP_KIND_COPY: {
      // A transpose: the same tensor into another layout, every element read and written once
      // (native: from nchw into the blocked layout, as a runtime does at the network's input).
      const memory::desc dst(dims, *type,
                             tag == memory::format_tag::nchw   ? memory::format_tag::nhwc
                             : tag == memory::format_tag::nhwc ? memory::format_tag::nchw
                                                               : tag);
      const memory::desc from = tag == memory::format_tag::nchw || tag == memory::format_tag::nhwc
                                    ? src
                                    : memory::desc(dims, *type, memory::format_tag::nchw);
      const dnnl::reorder::primitive_desc pd(engine, from, engine, dst, attr);
      operands.Input(DNNL_ARG_FROM, from);
      operands.Output(DNNL_ARG_TO, dst);
      return operands.Finish(pd, dnnl::reorder(pd));
    }
    default: return absl::InvalidArgumentError(absl::StrCat("op kind ", op.kind(), " is not known to the cpu backend"));
  }
}

}  // namespace convlat::agent
