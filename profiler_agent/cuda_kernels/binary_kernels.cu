// Binary arithmetic, the second operand either the same shape or n x c x 1 x 1 (the
// squeeze-excitation scale, which cudnnOpTensor covers for add/mul but not for div).
#include "profiler_agent/cuda_kernels/element_access.cuh"

namespace convlat::agent::kernels {
namespace {

template <Binary kFunction>
__device__ __forceinline__ float Apply(float a, float b) {
  if constexpr (kFunction == Binary::kAdd) return a + b;
  if constexpr (kFunction == Binary::kSub) return a - b;
  if constexpr (kFunction == Binary::kMul) return a * b;
  return a / b;
}

// Element i of a, in `shape`'s layout, and the index of its (n, c) in an n x c x 1 x 1 tensor.
__device__ __forceinline__ int64_t PlaneOf(int64_t i, Tensor4d shape) {
  const int64_t hw = int64_t{shape.h} * shape.w;
  if (shape.nhwc) return (i / (hw * shape.c)) * shape.c + i % shape.c;
  return i / hw;  // (n * c + c') for NCHW
}

template <Binary kFunction, typename T>
__global__ void BinaryKernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y, Tensor4d shape,
                             bool broadcast_b, int64_t count) {
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += stride) {
    const float second = Load(b, broadcast_b ? PlaneOf(i, shape) : i);
    Store(y, i, Apply<kFunction>(Load(a, i), second));
  }
}

template <Binary kFunction>
cudaError_t Launch(Element element, const void* a, const void* b, void* y, const Tensor4d& shape, bool broadcast_b,
                   cudaStream_t stream) {
  const int64_t count = shape.elements();
  return DispatchElement(element, [&](auto type) {
    using T = decltype(type);
    BinaryKernel<kFunction, T><<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(
        static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(y), shape, broadcast_b, count);
    return cudaGetLastError();
  });
}

}  // namespace

cudaError_t LaunchBinary(Binary function, Element element, const void* a, const void* b, void* y, const Tensor4d& shape,
                         bool broadcast_b, cudaStream_t stream) {
  if (shape.elements() <= 0) return cudaSuccess;
  switch (function) {
    case Binary::kAdd: return Launch<Binary::kAdd>(element, a, b, y, shape, broadcast_b, stream);
    case Binary::kSub: return Launch<Binary::kSub>(element, a, b, y, shape, broadcast_b, stream);
    case Binary::kMul: return Launch<Binary::kMul>(element, a, b, y, shape, broadcast_b, stream);
    case Binary::kDiv: return Launch<Binary::kDiv>(element, a, b, y, shape, broadcast_b, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace convlat::agent::kernels
