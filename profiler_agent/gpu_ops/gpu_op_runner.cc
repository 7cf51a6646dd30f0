#include "profiler_agent/gpu_ops/gpu_op_runner.h"

#include "absl/strings/str_cat.h"
#include "profiler_agent/cudnn/cuda_status.h"

namespace convlat::agent {
namespace {

// alpha and beta are float for float, half and bfloat16 data (cuDNN's scaling parameters).
constexpr float kOne = 1.0f, kZero = 0.0f;

absl::Status SetTensor(cudnnTensorDescriptor_t descriptor, const GpuOpPlan& plan, const kernels::Tensor4d& shape,
                       const char* what) {
  return CudnnStatus(
      cudnnSetTensor4dDescriptor(descriptor, plan.format, plan.data_type, shape.n, shape.c, shape.h, shape.w),
      absl::StrCat("cudnnSetTensor4dDescriptor(", what, ")"));
}

absl::Status KernelStatus(cudaError_t error, const GpuOpPlan& plan) {
  return CudaStatus(error, absl::StrCat("launch of ", plan.implementation()));
}

}  // namespace

// Every descriptor an op may need; those it does not stay null.
struct GpuOpRunner::Descriptors {
  GpuOpPlan plan;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, side = nullptr;
  cudnnPoolingDescriptor_t pooling = nullptr;
  cudnnActivationDescriptor_t activation = nullptr;
  cudnnOpTensorDescriptor_t op_tensor = nullptr;

  ~Descriptors() {
    for (cudnnTensorDescriptor_t t : {x, y, side}) {
      if (t != nullptr) cudnnDestroyTensorDescriptor(t);
    }
    if (pooling != nullptr) cudnnDestroyPoolingDescriptor(pooling);
    if (activation != nullptr) cudnnDestroyActivationDescriptor(activation);
    if (op_tensor != nullptr) cudnnDestroyOpTensorDescriptor(op_tensor);
  }

  absl::Status CreateTensors() {
    for (cudnnTensorDescriptor_t* t : {&x, &y}) {
      if (absl::Status s = CudnnStatus(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor"); !s.ok())
        return s;
    }
    if (absl::Status s = SetTensor(x, plan, plan.input, "input"); !s.ok()) return s;
    return SetTensor(y, plan, plan.output, "output");
  }

  absl::Status CreatePooling() {
    const v1::OpParams& op = plan.op;
    if (absl::Status s = CudnnStatus(cudnnCreatePoolingDescriptor(&pooling), "cudnnCreatePoolingDescriptor"); !s.ok())
      return s;
    if (absl::Status s = CudnnStatus(
            cudnnSetPooling2dDescriptor(pooling, plan.pooling_mode, CUDNN_PROPAGATE_NAN, op.kernel_h(), op.kernel_w(),
                                        op.pad_h(), op.pad_w(), op.stride_h(), op.stride_w()),
            "cudnnSetPooling2dDescriptor");
        !s.ok()) {
      return s;
    }
    int n = 0, c = 0, h = 0, w = 0;
    if (absl::Status s = CudnnStatus(cudnnGetPooling2dForwardOutputDim(pooling, x, &n, &c, &h, &w),
                                     "cudnnGetPooling2dForwardOutputDim");
        !s.ok()) {
      return s;
    }
    if (n != plan.output.n || c != plan.output.c || h != plan.output.h || w != plan.output.w) {
      return absl::InternalError(absl::StrCat("cuDNN pools to ", n, "x", c, "x", h, "x", w, ", convlat to ",
                                              plan.output.n, "x", plan.output.c, "x", plan.output.h, "x",
                                              plan.output.w));
    }
    return absl::OkStatus();
  }

  absl::Status CreateActivation() {
    if (absl::Status s = CudnnStatus(cudnnCreateActivationDescriptor(&activation), "cudnnCreateActivationDescriptor");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CudnnStatus(
            cudnnSetActivationDescriptor(activation, plan.activation_mode, CUDNN_PROPAGATE_NAN, plan.activation_coef),
            "cudnnSetActivationDescriptor");
        !s.ok()) {
      return s;
    }
    if (plan.activation_mode != CUDNN_ACTIVATION_SWISH) return absl::OkStatus();
    return CudnnStatus(cudnnSetActivationDescriptorSwishBeta(activation, plan.activation_coef),
                       "cudnnSetActivationDescriptorSwishBeta");
  }

  absl::Status CreateOpTensor() {
    if (absl::Status s = CudnnStatus(cudnnCreateOpTensorDescriptor(&op_tensor), "cudnnCreateOpTensorDescriptor");
        !s.ok()) {
      return s;
    }
    // fp16 and bf16 data compute in fp32, as for the convolutions.
    if (absl::Status s =
            CudnnStatus(cudnnSetOpTensorDescriptor(op_tensor, plan.op_tensor, CUDNN_DATA_FLOAT, CUDNN_PROPAGATE_NAN),
                        "cudnnSetOpTensorDescriptor");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CudnnStatus(cudnnCreateTensorDescriptor(&side), "cudnnCreateTensorDescriptor"); !s.ok())
      return s;
    kernels::Tensor4d second = plan.input;
    if (plan.op.broadcast()) second.h = second.w = 1;
    return SetTensor(side, plan, second, "second operand");
  }

  // Scale, bias, mean and variance: one fp32 value per channel (cuDNN derives the type).
  absl::Status CreateBatchNorm() {
    if (absl::Status s = CudnnStatus(cudnnCreateTensorDescriptor(&side), "cudnnCreateTensorDescriptor"); !s.ok())
      return s;
    return CudnnStatus(cudnnDeriveBNTensorDescriptor(side, x, CUDNN_BATCHNORM_SPATIAL),
                       "cudnnDeriveBNTensorDescriptor");
  }
};

absl::StatusOr<GpuOpRunner> GpuOpRunner::Create(const GpuOpPlan& plan) {
  auto d = std::make_unique<Descriptors>();
  d->plan = plan;
  absl::Status status = absl::OkStatus();
  switch (plan.primitive) {
    case GpuOpPrimitive::kCudnnPooling:
      status = d->CreateTensors();
      if (status.ok()) status = d->CreatePooling();
      break;
    case GpuOpPrimitive::kCudnnActivation:
      status = d->CreateTensors();
      if (status.ok()) status = d->CreateActivation();
      break;
    case GpuOpPrimitive::kCudnnOpTensor:
      status = d->CreateTensors();
      if (status.ok()) status = d->CreateOpTensor();
      break;
    case GpuOpPrimitive::kCudnnSoftmax: status = d->CreateTensors(); break;
    case GpuOpPrimitive::kCudnnBatchNorm:
      status = d->CreateTensors();
      if (status.ok()) status = d->CreateBatchNorm();
      break;
    default: break;  // the project's kernels take no descriptors
  }
  if (!status.ok()) return status;
  return GpuOpRunner(std::move(d));
}

GpuOpRunner::GpuOpRunner(std::unique_ptr<Descriptors> descriptors) : d_(std::move(descriptors)) {}
GpuOpRunner::GpuOpRunner(GpuOpRunner&&) noexcept = default;
GpuOpRunner& GpuOpRunner::operator=(GpuOpRunner&&) noexcept = default;
GpuOpRunner::~GpuOpRunner() = default;

const GpuOpPlan& GpuOpRunner::plan() const { return d_->plan; }

absl::Status GpuOpRunner::Run(cudnnHandle_t handle, cudaStream_t stream, const GpuOpOperands& o) const {
  const GpuOpPlan& plan = d_->plan;
  const size_t sides_wanted = plan.side_operand_bytes().size();
  if (o.input == nullptr || o.output == nullptr || o.sides.size() != sides_wanted) {
    return absl::InternalError(absl::StrCat(plan.implementation(), " needs an input, an output and ", sides_wanted,
                                            " other operands; got ", o.sides.size()));
  }
  const Descriptors& d = *d_;
  switch (plan.primitive) {
    case GpuOpPrimitive::kCudnnPooling:
      return CudnnStatus(cudnnPoolingForward(handle, d.pooling, &kOne, d.x, o.input, &kZero, d.y, o.output),
                         "cudnnPoolingForward");
    case GpuOpPrimitive::kCudnnActivation:
      return CudnnStatus(cudnnActivationForward(handle, d.activation, &kOne, d.x, o.input, &kZero, d.y, o.output),
                         "cudnnActivationForward");
    case GpuOpPrimitive::kCudnnOpTensor:
      return CudnnStatus(cudnnOpTensor(handle, d.op_tensor, &kOne, d.x, o.input, &plan.second_operand_scale, d.side,
                                       o.sides[0], &kZero, d.y, o.output),
                         "cudnnOpTensor");
    case GpuOpPrimitive::kCudnnSoftmax:
      return CudnnStatus(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &kOne, d.x,
                                             o.input, &kZero, d.y, o.output),
                         "cudnnSoftmaxForward");
    case GpuOpPrimitive::kCudnnBatchNorm:
      return CudnnStatus(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, d.x,
                                                                 o.input, d.y, o.output, d.side, o.sides[0], o.sides[1],
                                                                 o.sides[2], o.sides[3], 1e-5),
                         "cudnnBatchNormalizationForwardInference");
    case GpuOpPrimitive::kActivationKernel:
      return KernelStatus(
          kernels::LaunchActivation(plan.activation, plan.element, o.input, o.output, plan.input.elements(), stream),
          plan);
    case GpuOpPrimitive::kBinaryKernel:
      return KernelStatus(kernels::LaunchBinary(plan.binary, plan.element, o.input, o.sides[0], o.output, plan.input,
                                                plan.op.broadcast(), stream),
                          plan);
    case GpuOpPrimitive::kConcatKernel: {
      // One launch per input, each into its channel slice, as frameworks' concat kernels copy.
      int offset = 0;
      for (size_t i = 0; i < plan.concat_channels.size(); ++i) {
        kernels::Tensor4d input = plan.input;
        input.c = plan.concat_channels[i];
        const void* source = i == 0 ? o.input : o.sides[i - 1];
        if (absl::Status s = KernelStatus(
                kernels::LaunchConcatInput(plan.element, source, o.output, input, plan.input.c, offset, stream), plan);
            !s.ok()) {
          return s;
        }
        offset += input.c;
      }
      return absl::OkStatus();
    }
    case GpuOpPrimitive::kResizeKernel:
      return KernelStatus(kernels::LaunchResize(plan.op.function() == "linear", plan.element, o.input, o.output,
                                                plan.input, plan.output.h, plan.output.w, stream),
                          plan);
    case GpuOpPrimitive::kTransposeKernel:
      return KernelStatus(kernels::LaunchTranspose(plan.element, o.input, o.output, plan.input, stream), plan);
  }
  return absl::InternalError("unknown GPU op primitive");
}

}  // namespace convlat::agent
