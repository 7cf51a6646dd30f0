#include "profiler_agent/cudnn/cudnn_descriptors.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "profiler_agent/cudnn/cuda_status.h"

namespace convlat::agent {
namespace {

constexpr int64_t kMaxDescriptorElements = std::numeric_limits<int32_t>::max();

bool AtLeast(int major, int minor, int want_major, int want_minor) {
  return major > want_major || (major == want_major && minor >= want_minor);
}

std::string CapabilityString(int major, int minor) { return absl::StrCat(major, ".", minor); }

const char* AlgorithmStem(cudnnConvolutionFwdAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
    default: return "unknown";
  }
}

}  // namespace

int64_t CudnnConvConfig::input_bytes() const { return int64_t{n} * c * h * w * element_bytes; }
int64_t CudnnConvConfig::filter_bytes() const { return int64_t{k} * (c / groups) * r * s * element_bytes; }
int64_t CudnnConvConfig::output_bytes() const { return int64_t{n} * k * p * q * element_bytes; }

absl::StatusOr<CudnnConvConfig> MakeCudnnConvConfig(const v1::ConvParams& params) {
  if (absl::Status valid = model::ValidateConvParams(params, "params"); !valid.ok()) return valid;
  const model::ConvShape shape = model::ResolveConvShape(params);
  CudnnConvConfig config;
  config.dtype = shape.dtype;
  // fp16 and bf16 accumulate in fp32, as frameworks configure cuDNN.
  switch (shape.dtype) {
    case v1::DATA_TYPE_FP32:
      config.data_type = CUDNN_DATA_FLOAT;
      config.element_bytes = 4;
      break;
    case v1::DATA_TYPE_FP16:
      config.data_type = CUDNN_DATA_HALF;
      config.element_bytes = 2;
      break;
    case v1::DATA_TYPE_BF16:
      config.data_type = CUDNN_DATA_BFLOAT16;
      config.element_bytes = 2;
      break;
    default:
      // cuDNN's int8 convolutions need NHWC with channels a multiple of 4, int32 accumulation and
      // a float/int8 output with scaling: a different experiment from the float sweeps.
      return absl::UnimplementedError(absl::StrCat("dtype ", model::DataTypeName(shape.dtype),
                                                   " is not supported by the cudnn backend (fp32, fp16 and bf16 are)"));
  }
  config.compute_type = CUDNN_DATA_FLOAT;
  if (shape.layout == v1::LAYOUT_NATIVE) {
    return absl::UnimplementedError("layout native is the CPU libraries' blocked layout; cuDNN takes nchw or nhwc");
  }
  config.format = shape.layout == v1::LAYOUT_NHWC ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  config.math_type = shape.math_mode == v1::MATH_MODE_TENSOR_OP ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;

  const int64_t p = shape.p(), q = shape.q();
  const int64_t elements[] = {shape.n * shape.c * shape.h * shape.w,
                              shape.k * (shape.c / shape.groups) * shape.r * shape.s, shape.n * shape.k * p * q};
  for (int64_t count : elements) {
    if (count > kMaxDescriptorElements) {
      return absl::UnimplementedError(
          absl::StrCat("a tensor of ", count, " elements is beyond the 2^31-1 of cuDNN's 4-D descriptors"));
    }
  }
  config.n = static_cast<int>(shape.n);
  config.c = static_cast<int>(shape.c);
  config.h = static_cast<int>(shape.h);
  config.w = static_cast<int>(shape.w);
  config.k = static_cast<int>(shape.k);
  config.r = static_cast<int>(shape.r);
  config.s = static_cast<int>(shape.s);
  config.p = static_cast<int>(p);
  config.q = static_cast<int>(q);
  config.pad_h = static_cast<int>(shape.pad_h);
  config.pad_w = static_cast<int>(shape.pad_w);
  config.stride_h = static_cast<int>(shape.stride_h);
  config.stride_w = static_cast<int>(shape.stride_w);
  config.dilation_h = static_cast<int>(shape.dilation_h);
  config.dilation_w = static_cast<int>(shape.dilation_w);
  config.groups = static_cast<int>(shape.groups);
  return config;
}

absl::Status CheckComputeCapability(const CudnnConvConfig& config, int major, int minor) {
  const std::string have = CapabilityString(major, minor);
  auto needs = [&](absl::string_view what, int want_major, int want_minor) {
    return absl::UnimplementedError(absl::StrCat(
        what, " needs compute capability ", CapabilityString(want_major, want_minor), " or newer; this GPU is ", have));
  };
  const bool tensor_op = config.math_type == CUDNN_TENSOR_OP_MATH;
  switch (config.data_type) {
    case CUDNN_DATA_HALF:
      if (!AtLeast(major, minor, 5, 3)) return needs("fp16", 5, 3);
      if (tensor_op && !AtLeast(major, minor, 7, 0)) return needs("fp16 tensor-op math (tensor cores)", 7, 0);
      break;
    case CUDNN_DATA_BFLOAT16:
      if (!AtLeast(major, minor, 8, 0)) return needs("bf16", 8, 0);
      break;
    case CUDNN_DATA_FLOAT:
      if (tensor_op && !AtLeast(major, minor, 8, 0)) return needs("fp32 tensor-op math (TF32 tensor cores)", 8, 0);
      break;
    default: return absl::UnimplementedError("unsupported cuDNN data type");
  }
  return absl::OkStatus();
}

std::string CudnnMathTypeName(cudnnMathType_t math_type) {
  switch (math_type) {
    case CUDNN_DEFAULT_MATH: return "default";
    case CUDNN_TENSOR_OP_MATH: return "tensor_op";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "tensor_op_allow_conversion";
    case CUDNN_FMA_MATH: return "fma";
    default: return "unknown";
  }
}

std::string CudnnAlgorithmName(cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math_type) {
  return absl::StrCat(AlgorithmStem(algo), ":", CudnnMathTypeName(math_type));
}

absl::StatusOr<CudnnConvDescriptors> CudnnConvDescriptors::Create(const CudnnConvConfig& config) {
  CudnnConvDescriptors d;
  if (absl::Status s = CudnnStatus(cudnnCreateTensorDescriptor(&d.input_), "cudnnCreateTensorDescriptor"); !s.ok())
    return s;
  if (absl::Status s = CudnnStatus(cudnnCreateFilterDescriptor(&d.filter_), "cudnnCreateFilterDescriptor"); !s.ok())
    return s;
  if (absl::Status s =
          CudnnStatus(cudnnCreateConvolutionDescriptor(&d.convolution_), "cudnnCreateConvolutionDescriptor");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CudnnStatus(cudnnCreateTensorDescriptor(&d.output_), "cudnnCreateTensorDescriptor"); !s.ok())
    return s;

  absl::Status status = CudnnStatus(
      cudnnSetTensor4dDescriptor(d.input_, config.format, config.data_type, config.n, config.c, config.h, config.w),
      "cudnnSetTensor4dDescriptor(input)");
  if (status.ok()) {
    status = CudnnStatus(cudnnSetFilter4dDescriptor(d.filter_, config.data_type, config.format, config.k,
                                                    config.c / config.groups, config.r, config.s),
                         "cudnnSetFilter4dDescriptor");
  }
  if (status.ok()) {
    // Cross-correlation is what frameworks call convolution.
    status = CudnnStatus(cudnnSetConvolution2dDescriptor(d.convolution_, config.pad_h, config.pad_w, config.stride_h,
                                                         config.stride_w, config.dilation_h, config.dilation_w,
                                                         CUDNN_CROSS_CORRELATION, config.compute_type),
                         "cudnnSetConvolution2dDescriptor");
  }
  if (status.ok()) {
    status = CudnnStatus(cudnnSetConvolutionGroupCount(d.convolution_, config.groups), "cudnnSetConvolutionGroupCount");
  }
  if (status.ok()) status = d.SetMathType(config.math_type);
  if (!status.ok()) return status;

  int n = 0, k = 0, p = 0, q = 0;
  status = CudnnStatus(cudnnGetConvolution2dForwardOutputDim(d.convolution_, d.input_, d.filter_, &n, &k, &p, &q),
                       "cudnnGetConvolution2dForwardOutputDim");
  if (!status.ok()) return status;
  if (n != config.n || k != config.k || p != config.p || q != config.q) {
    return absl::InternalError(absl::StrCat("cuDNN computes output ", n, "x", k, "x", p, "x", q, ", convlat ", config.n,
                                            "x", config.k, "x", config.p, "x", config.q));
  }
  status = CudnnStatus(
      cudnnSetTensor4dDescriptor(d.output_, config.format, config.data_type, config.n, config.k, config.p, config.q),
      "cudnnSetTensor4dDescriptor(output)");
  if (!status.ok()) return status;
  return d;
}

absl::Status CudnnConvDescriptors::SetMathType(cudnnMathType_t math_type) {
  return CudnnStatus(cudnnSetConvolutionMathType(convolution_, math_type), "cudnnSetConvolutionMathType");
}

CudnnConvDescriptors::CudnnConvDescriptors(CudnnConvDescriptors&& other) noexcept
    : input_(std::exchange(other.input_, nullptr)),
      filter_(std::exchange(other.filter_, nullptr)),
      convolution_(std::exchange(other.convolution_, nullptr)),
      output_(std::exchange(other.output_, nullptr)) {}

CudnnConvDescriptors& CudnnConvDescriptors::operator=(CudnnConvDescriptors&& other) noexcept {
  if (this != &other) {
    Destroy();
    input_ = std::exchange(other.input_, nullptr);
    filter_ = std::exchange(other.filter_, nullptr);
    convolution_ = std::exchange(other.convolution_, nullptr);
    output_ = std::exchange(other.output_, nullptr);
  }
  return *this;
}

CudnnConvDescriptors::~CudnnConvDescriptors() { Destroy(); }

void CudnnConvDescriptors::Destroy() {
  if (input_ != nullptr) cudnnDestroyTensorDescriptor(input_);
  if (filter_ != nullptr) cudnnDestroyFilterDescriptor(filter_);
  if (convolution_ != nullptr) cudnnDestroyConvolutionDescriptor(convolution_);
  if (output_ != nullptr) cudnnDestroyTensorDescriptor(output_);
  input_ = nullptr;
  filter_ = nullptr;
  convolution_ = nullptr;
  output_ = nullptr;
}

}  // namespace convlat::agent
