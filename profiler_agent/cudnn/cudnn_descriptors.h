#pragma once
// How a convolution is described to cuDNN (legacy descriptor API): element and accumulation
// types, tensor format, math type, and which combinations the cudnn backend runs at all.
// Everything but CudnnConvDescriptors::Create is pure and needs no GPU.

#include <cudnn.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

// A ConvParams resolved to what the cuDNN calls take.
struct CudnnConvConfig {
  cudnnDataType_t data_type = CUDNN_DATA_FLOAT;     // input, filter and output elements
  cudnnDataType_t compute_type = CUDNN_DATA_FLOAT;  // accumulation
  // Activations and filter share the format: an NHWC filter is KRSC, as channels-last
  // frameworks keep their weights.
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  cudnnMathType_t math_type = CUDNN_FMA_MATH;
  v1::DataType dtype = v1::DATA_TYPE_FP32;
  int element_bytes = 4;
  int n = 1, c = 1, h = 1, w = 1, k = 1, r = 1, s = 1;
  int p = 1, q = 1;  // output height and width
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1, groups = 1;

  int64_t input_bytes() const;
  int64_t filter_bytes() const;  // k x c/groups x r x s
  int64_t output_bytes() const;
};

// INVALID_ARGUMENT for a malformed convolution; UNIMPLEMENTED, with the reason, for what the
// backend does not run (int8; tensors beyond the 32-bit element counts of 4-D descriptors).
// MATH_MODE_TENSOR_OP maps to CUDNN_TENSOR_OP_MATH; MATH_MODE_DEFAULT to CUDNN_FMA_MATH, not
// CUDNN_DEFAULT_MATH, because cuDNN's default lets fp32 convolutions use TF32 tensor cores on
// Ampere and newer, which the default math mode promises not to.
absl::StatusOr<CudnnConvConfig> MakeCudnnConvConfig(const v1::ConvParams& params);

// UNIMPLEMENTED, naming what is missing, when a GPU of this compute capability cannot run the
// configuration: fp16 needs 5.3, bf16 8.0, tensor-op math 7.0 (fp16) or 8.0 (TF32 for fp32, bf16).
absl::Status CheckComputeCapability(const CudnnConvConfig& config, int major, int minor);

// "implicit_precomp_gemm:tensor_op", recorded as Measurement.algorithm.
std::string CudnnAlgorithmName(cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math_type);
std::string CudnnMathTypeName(cudnnMathType_t math_type);

// The four legacy descriptors of one convolution, destroyed with this object. Creating them is
// host-only work, but needs libcudnn.
class CudnnConvDescriptors {
 public:
  // Checks that cuDNN computes the same output shape as convlat does.
  static absl::StatusOr<CudnnConvDescriptors> Create(const CudnnConvConfig& config);

  CudnnConvDescriptors(CudnnConvDescriptors&& other) noexcept;
  CudnnConvDescriptors& operator=(CudnnConvDescriptors&& other) noexcept;
  CudnnConvDescriptors(const CudnnConvDescriptors&) = delete;
  CudnnConvDescriptors& operator=(const CudnnConvDescriptors&) = delete;
  ~CudnnConvDescriptors();

  cudnnTensorDescriptor_t input() const { return input_; }
  cudnnFilterDescriptor_t filter() const { return filter_; }
  cudnnConvolutionDescriptor_t convolution() const { return convolution_; }
  cudnnTensorDescriptor_t output() const { return output_; }

  // The math type an algorithm was benchmarked or chosen with must be set before running it.
  absl::Status SetMathType(cudnnMathType_t math_type);

 private:
  CudnnConvDescriptors() = default;
  void Destroy();

  cudnnTensorDescriptor_t input_ = nullptr;
  cudnnFilterDescriptor_t filter_ = nullptr;
  cudnnConvolutionDescriptor_t convolution_ = nullptr;
  cudnnTensorDescriptor_t output_ = nullptr;
};

}  // namespace convlat::agent
