// Elementwise activations, one thread per element (grid-stride), computed in fp32.
#include "profiler_agent/cuda_kernels/element_access.cuh"

namespace convlat::agent::kernels {
namespace {

__device__ __forceinline__ float Sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ float Relu6(float x) { return fminf(fmaxf(x, 0.0f), 6.0f); }
__device__ __forceinline__ float Softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }  // exact past 20

template <Activation kFunction>
__device__ __forceinline__ float Apply(float x) {
  if constexpr (kFunction == Activation::kRelu) return fmaxf(x, 0.0f);
  if constexpr (kFunction == Activation::kLeakyRelu) return x >= 0.0f ? x : 0.01f * x;
  if constexpr (kFunction == Activation::kClip) return Relu6(x);
  if constexpr (kFunction == Activation::kSigmoid) return Sigmoid(x);
  if constexpr (kFunction == Activation::kHardSigmoid) return Relu6(x + 3.0f) / 6.0f;
  if constexpr (kFunction == Activation::kHardSwish) return x * Relu6(x + 3.0f) / 6.0f;
  if constexpr (kFunction == Activation::kTanh) return tanhf(x);
  if constexpr (kFunction == Activation::kElu) return x >= 0.0f ? x : expm1f(x);
  if constexpr (kFunction == Activation::kGelu) return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  if constexpr (kFunction == Activation::kExp) return expf(x);
  if constexpr (kFunction == Activation::kLog) return logf(x);
  if constexpr (kFunction == Activation::kSqrt) return sqrtf(x);
  if constexpr (kFunction == Activation::kAbs) return fabsf(x);
  if constexpr (kFunction == Activation::kSoftplus) return Softplus(x);
  if constexpr (kFunction == Activation::kMish) return x * tanhf(Softplus(x));
  if constexpr (kFunction == Activation::kSilu) return x * Sigmoid(x);
  return x;
}

template <Activation kFunction, typename T>
__global__ void ActivationKernel(const T* __restrict__ x, T* __restrict__ y, int64_t count) {
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += stride) {
    Store(y, i, Apply<kFunction>(Load(x, i)));
  }
}

template <Activation kFunction>
cudaError_t Launch(Element element, const void* x, void* y, int64_t count, cudaStream_t stream) {
  return DispatchElement(element, [&](auto type) {
    using T = decltype(type);
    ActivationKernel<kFunction, T>
        <<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), count);
    return cudaGetLastError();
  });
}

}  // namespace

cudaError_t LaunchActivation(Activation function, Element element, const void* x, void* y, int64_t count,
                             cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  switch (function) {
    case Activation::kRelu: return Launch<Activation::kRelu>(element, x, y, count, stream);
    case Activation::kLeakyRelu: return Launch<Activation::kLeakyRelu>(element, x, y, count, stream);
    case Activation::kClip: return Launch<Activation::kClip>(element, x, y, count, stream);
    case Activation::kSigmoid: return Launch<Activation::kSigmoid>(element, x, y, count, stream);
    case Activation::kHardSigmoid: return Launch<Activation::kHardSigmoid>(element, x, y, count, stream);
    case Activation::kHardSwish: return Launch<Activation::kHardSwish>(element, x, y, count, stream);
    case Activation::kTanh: return Launch<Activation::kTanh>(element, x, y, count, stream);
    case Activation::kElu: return Launch<Activation::kElu>(element, x, y, count, stream);
    case Activation::kGelu: return Launch<Activation::kGelu>(element, x, y, count, stream);
    case Activation::kExp: return Launch<Activation::kExp>(element, x, y, count, stream);
    case Activation::kLog: return Launch<Activation::kLog>(element, x, y, count, stream);
    case Activation::kSqrt: return Launch<Activation::kSqrt>(element, x, y, count, stream);
    case Activation::kAbs: return Launch<Activation::kAbs>(element, x, y, count, stream);
    case Activation::kSoftplus: return Launch<Activation::kSoftplus>(element, x, y, count, stream);
    case Activation::kMish: return Launch<Activation::kMish>(element, x, y, count, stream);
    case Activation::kSilu: return Launch<Activation::kSilu>(element, x, y, count, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace convlat::agent::kernels
