#pragma once
// How the GPU runs each op kind (model/layers/op_params.h): which cuDNN primitive or which of the
// project's own kernels (profiler_agent/cuda_kernels/), with what modes, shapes and operand sizes.
// Pure and host-only: it decides, GpuOpRunner executes. The op is the same one the oneDNN backend
// runs (profiler_agent/onednn/onednn_ops.cc): concat splits the output's channels evenly over
// its inputs (the remainder to the last), binary's second operand is n x c x 1 x 1 when
// broadcast, softmax runs over channels, batch norm is inference with per-channel fp32 statistics.

#include <cudnn.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "profiler_agent/cuda_kernels/op_kernels.h"

namespace convlat::agent {

enum class GpuOpPrimitive {
  kCudnnPooling,     // cudnnPoolingForward
  kCudnnActivation,  // cudnnActivationForward
  kCudnnOpTensor,    // cudnnOpTensor (add, sub as add with alpha2 = -1, mul)
  kCudnnSoftmax,     // cudnnSoftmaxForward
  kCudnnBatchNorm,   // cudnnBatchNormalizationForwardInference
  kActivationKernel,
  kBinaryKernel,
  kConcatKernel,
  kResizeKernel,
  kTransposeKernel,
};

struct GpuOpPlan {
  GpuOpPrimitive primitive = GpuOpPrimitive::kActivationKernel;
  v1::OpParams op;  // normalized
  cudnnDataType_t data_type = CUDNN_DATA_FLOAT;
  kernels::Element element = kernels::Element::kFloat32;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  int element_bytes = 4;
  kernels::Tensor4d input;   // the (first) input; concat: the output's shape
  kernels::Tensor4d output;  // pooled / resized / the same as the input
  // cuDNN primitives.
  cudnnPoolingMode_t pooling_mode = CUDNN_POOLING_MAX;
  cudnnActivationMode_t activation_mode = CUDNN_ACTIVATION_RELU;
  double activation_coef = 0;  // clipped relu's ceiling, elu's alpha, swish's beta
  cudnnOpTensorOp_t op_tensor = CUDNN_OP_TENSOR_ADD;
  float second_operand_scale = 1;  // alpha2 of cudnnOpTensor: -1 makes add a subtraction
  // The project's kernels.
  kernels::Activation activation = kernels::Activation::kRelu;
  kernels::Binary binary = kernels::Binary::kAdd;
  std::vector<int> concat_channels;  // each input's channels

  int64_t input_bytes() const;   // the first input (concat: its first input)
  int64_t output_bytes() const;  // the output
  // What else the op reads, each its own buffer: binary's second operand, concat's other inputs,
  // batch norm's scale, bias, mean and variance (fp32 each, whatever the data type).
  std::vector<int64_t> side_operand_bytes() const;
  // Measurement.algorithm: "cudnn:pooling_max", "cudnn:op_tensor_add", "kernel:hardswish", ...
  std::string implementation() const;
};

// INVALID_ARGUMENT for an op that is not valid (field named); UNIMPLEMENTED, with the reason, for
// what the GPU backend does not run (int8, the native layout, tensors beyond 2^31 - 1 elements).
// `prefer_cudnn` false picks the project's kernel for activations and binary ops cuDNN also has
// (what a runner falls back on when cuDNN refuses the data type or layout).
absl::StatusOr<GpuOpPlan> PlanGpuOp(const v1::OpParams& op, bool prefer_cudnn = true);

// Whether a plan using cuDNN has a kernel of the project's own to fall back on.
bool HasKernelFallback(const GpuOpPlan& plan);

// Whether to run the kernel instead after cuDNN's primitive failed with `status`: it has one,
// and cuDNN refused the combination (NOT_SUPPORTED or BAD_PARAM, as a legacy primitive answers
// a data type or layout it lacks) rather than running out of memory or failing.
bool ShouldFallBackToKernel(const GpuOpPlan& plan, const absl::Status& status);

}  // namespace convlat::agent
