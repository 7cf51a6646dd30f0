#include "profiler_agent/gpu_ops/gpu_op_plan.h"

#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::agent {
namespace {

constexpr int64_t kMaxDescriptorElements = std::numeric_limits<int32_t>::max();

// The activations cuDNN has (cudnnActivationMode_t), with their coefficient.
struct CudnnActivation {
  cudnnActivationMode_t mode;
  double coef;
};
const absl::flat_hash_map<std::string, CudnnActivation>& CudnnActivations() {
  static const auto* activations = new absl::flat_hash_map<std::string, CudnnActivation>{
      {"relu", {CUDNN_ACTIVATION_RELU, 0}},       {"clip", {CUDNN_ACTIVATION_CLIPPED_RELU, 6}},
      {"sigmoid", {CUDNN_ACTIVATION_SIGMOID, 0}}, {"tanh", {CUDNN_ACTIVATION_TANH, 0}},
      {"elu", {CUDNN_ACTIVATION_ELU, 1}},         {"silu", {CUDNN_ACTIVATION_SWISH, 1}}};
  return *activations;
}

const absl::flat_hash_map<std::string, kernels::Activation>& KernelActivations() {
  using kernels::Activation;
  static const auto* activations =
      new absl::flat_hash_map<std::string, Activation>{{"relu", Activation::kRelu},
                                                       {"leakyrelu", Activation::kLeakyRelu},
                                                       {"clip", Activation::kClip},
                                                       {"sigmoid", Activation::kSigmoid},
                                                       {"hardsigmoid", Activation::kHardSigmoid},
                                                       {"hardswish", Activation::kHardSwish},
                                                       {"tanh", Activation::kTanh},
                                                       {"elu", Activation::kElu},
                                                       {"gelu", Activation::kGelu},
                                                       {"exp", Activation::kExp},
                                                       {"log", Activation::kLog},
                                                       {"sqrt", Activation::kSqrt},
                                                       {"abs", Activation::kAbs},
                                                       {"softplus", Activation::kSoftplus},
                                                       {"mish", Activation::kMish},
                                                       {"silu", Activation::kSilu}};
  return *activations;
}

kernels::Binary KernelBinary(const std::string& function) {
  if (function == "sub") return kernels::Binary::kSub;
  if (function == "mul") return kernels::Binary::kMul;
  if (function == "div") return kernels::Binary::kDiv;
  return kernels::Binary::kAdd;
}

absl::Status SetElementType(v1::DataType dtype, GpuOpPlan& plan) {
  switch (dtype) {
    case v1::DATA_TYPE_FP32:
      plan.data_type = CUDNN_DATA_FLOAT;
      plan.element = kernels::Element::kFloat32;
      plan.element_bytes = 4;
      return absl::OkStatus();
    case v1::DATA_TYPE_FP16:
      plan.data_type = CUDNN_DATA_HALF;
      plan.element = kernels::Element::kFloat16;
      plan.element_bytes = 2;
      return absl::OkStatus();
    case v1::DATA_TYPE_BF16:
      plan.data_type = CUDNN_DATA_BFLOAT16;
      plan.element = kernels::Element::kBfloat16;
      plan.element_bytes = 2;
      return absl::OkStatus();
    default:
      return absl::UnimplementedError(absl::StrCat("dtype ", model::DataTypeName(dtype),
                                                   " is not supported by the cudnn backend (fp32, fp16 and bf16 are)"));
  }
}

kernels::Tensor4d Shape(int64_t n, int64_t c, int64_t h, int64_t w, bool nhwc) {
  return {.n = static_cast<int>(n),
          .c = static_cast<int>(c),
          .h = static_cast<int>(h),
          .w = static_cast<int>(w),
          .nhwc = nhwc};
}

const char* PrimitiveStem(GpuOpPrimitive primitive) {
  switch (primitive) {
    case GpuOpPrimitive::kCudnnPooling: return "cudnn:pooling_";
    case GpuOpPrimitive::kCudnnActivation: return "cudnn:activation_";
    case GpuOpPrimitive::kCudnnOpTensor: return "cudnn:op_tensor_";
    case GpuOpPrimitive::kCudnnSoftmax: return "cudnn:softmax";
    case GpuOpPrimitive::kCudnnBatchNorm: return "cudnn:batch_norm_inference";
    case GpuOpPrimitive::kActivationKernel: return "kernel:";
    case GpuOpPrimitive::kBinaryKernel: return "kernel:";
    case GpuOpPrimitive::kConcatKernel: return "kernel:concat";
    case GpuOpPrimitive::kResizeKernel: return "kernel:resize_";
    case GpuOpPrimitive::kTransposeKernel: return "kernel:transpose";
  }
  return "unknown";
}

}  // namespace

int64_t GpuOpPlan::input_bytes() const {
  const int first = concat_channels.empty() ? input.c : concat_channels.front();
  return int64_t{input.n} * first * input.h * input.w * element_bytes;
}

int64_t GpuOpPlan::output_bytes() const { return output.elements() * element_bytes; }

std::vector<int64_t> GpuOpPlan::side_operand_bytes() const {
  std::vector<int64_t> sides;
  switch (primitive) {
    case GpuOpPrimitive::kCudnnOpTensor:
    case GpuOpPrimitive::kBinaryKernel:
      sides.push_back((op.broadcast() ? int64_t{input.n} * input.c : input.elements()) * element_bytes);
      break;
    case GpuOpPrimitive::kConcatKernel:
      for (size_t i = 1; i < concat_channels.size(); ++i) {
        sides.push_back(int64_t{input.n} * concat_channels[i] * input.h * input.w * element_bytes);
      }
      break;
    case GpuOpPrimitive::kCudnnBatchNorm: sides.assign(4, int64_t{input.c} * 4); break;
    default: break;
  }
  return sides;
}

std::string GpuOpPlan::implementation() const {
  std::string name = PrimitiveStem(primitive);
  switch (primitive) {
    case GpuOpPrimitive::kCudnnPooling: absl::StrAppend(&name, model::OpKindName(op.kind())); break;
    case GpuOpPrimitive::kCudnnActivation:
    case GpuOpPrimitive::kCudnnOpTensor:
    case GpuOpPrimitive::kActivationKernel:
    case GpuOpPrimitive::kBinaryKernel:
    case GpuOpPrimitive::kResizeKernel: absl::StrAppend(&name, op.function()); break;
    default: break;
  }
  return name;
}

absl::StatusOr<GpuOpPlan> PlanGpuOp(const v1::OpParams& params, bool prefer_cudnn) {
  v1::OpParams op = params;
  model::NormalizeOpParams(op);
  if (absl::Status valid = model::ValidateOpParams(op, "op"); !valid.ok()) return valid;
  GpuOpPlan plan;
  plan.op = op;
  if (absl::Status s = SetElementType(op.dtype(), plan); !s.ok()) return s;
  if (op.layout() == v1::LAYOUT_NATIVE) {
    return absl::UnimplementedError("layout native is the CPU libraries' blocked layout; the GPU takes nchw or nhwc");
  }
  const bool nhwc = op.layout() == v1::LAYOUT_NHWC;
  plan.format = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  int64_t out_h = op.h(), out_w = op.w();
  if (op.kind() == v1::OP_KIND_MAX_POOL || op.kind() == v1::OP_KIND_AVG_POOL) {
    out_h = model::PooledHeight(op);
    out_w = model::PooledWidth(op);
  } else if (op.kind() == v1::OP_KIND_RESIZE) {
    out_h = op.out_h();
    out_w = op.out_w();
  }
  for (int64_t elements : {int64_t{op.n()} * op.c() * op.h() * op.w(), int64_t{op.n()} * op.c() * out_h * out_w}) {
    if (elements > kMaxDescriptorElements) {
      return absl::UnimplementedError(
          absl::StrCat("a tensor of ", elements, " elements is beyond the 2^31-1 of cuDNN's 4-D descriptors"));
    }
  }
  plan.input = Shape(op.n(), op.c(), op.h(), op.w(), nhwc);
  plan.output = Shape(op.n(), op.c(), out_h, out_w, nhwc);

  switch (op.kind()) {
    case v1::OP_KIND_MAX_POOL:
    case v1::OP_KIND_AVG_POOL:
      plan.primitive = GpuOpPrimitive::kCudnnPooling;
      // ONNX averages over the window without the padding by default (count_include_pad = 0).
      plan.pooling_mode =
          op.kind() == v1::OP_KIND_MAX_POOL ? CUDNN_POOLING_MAX : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
      break;
    case v1::OP_KIND_ACTIVATION: {
      const auto cudnn = CudnnActivations().find(op.function());
      const auto kernel = KernelActivations().find(op.function());
      if (kernel == KernelActivations().end()) {
        return absl::InvalidArgumentError(absl::StrCat("op.function '", op.function(), "' has no GPU kernel"));
      }
      plan.activation = kernel->second;
      if (prefer_cudnn && cudnn != CudnnActivations().end()) {
        plan.primitive = GpuOpPrimitive::kCudnnActivation;
        plan.activation_mode = cudnn->second.mode;
        plan.activation_coef = cudnn->second.coef;
      } else {
        plan.primitive = GpuOpPrimitive::kActivationKernel;
      }
      break;
    }
    case v1::OP_KIND_BINARY:
      plan.binary = KernelBinary(op.function());
      // cudnnOpTensor has add and mul (and min, max, sqrt, not): sub is add with alpha2 = -1;
      // div has no cuDNN form.
      if (prefer_cudnn && op.function() != "div") {
        plan.primitive = GpuOpPrimitive::kCudnnOpTensor;
        plan.op_tensor = op.function() == "mul" ? CUDNN_OP_TENSOR_MUL : CUDNN_OP_TENSOR_ADD;
        plan.second_operand_scale = op.function() == "sub" ? -1.0f : 1.0f;
      } else {
        plan.primitive = GpuOpPrimitive::kBinaryKernel;
      }
      break;
    case v1::OP_KIND_CONCAT: {
      plan.primitive = GpuOpPrimitive::kConcatKernel;
      const int per_input = op.c() / op.inputs();
      for (int i = 0; i < op.inputs(); ++i) {
        plan.concat_channels.push_back(i + 1 < op.inputs() ? per_input : op.c() - per_input * (op.inputs() - 1));
      }
      break;
    }
    case v1::OP_KIND_SOFTMAX: plan.primitive = GpuOpPrimitive::kCudnnSoftmax; break;
    case v1::OP_KIND_RESIZE: plan.primitive = GpuOpPrimitive::kResizeKernel; break;
    case v1::OP_KIND_BATCH_NORM: plan.primitive = GpuOpPrimitive::kCudnnBatchNorm; break;
    case v1::OP_KIND_COPY: plan.primitive = GpuOpPrimitive::kTransposeKernel; break;
    default: return absl::InvalidArgumentError(absl::StrCat("op.kind ", op.kind(), " is not known to the GPU backend"));
  }
  return plan;
}

bool HasKernelFallback(const GpuOpPlan& plan) {
  return plan.primitive == GpuOpPrimitive::kCudnnActivation || plan.primitive == GpuOpPrimitive::kCudnnOpTensor;
}

bool ShouldFallBackToKernel(const GpuOpPlan& plan, const absl::Status& status) {
  return HasKernelFallback(plan) && (absl::IsUnimplemented(status) || absl::IsInvalidArgument(status));
}

}  // namespace convlat::agent
