// Kernels that only move data: one input of a channel concatenation into its slice of the
// output, and the NCHW <-> NHWC transpose. One thread per element of what is read (grid-stride).
#include "profiler_agent/cuda_kernels/element_access.cuh"

namespace convlat::agent::kernels {
namespace {

// Coordinates of element i of `t`, stored in t's layout.
struct Coordinates {
  int64_t n, c, h, w;
};
__device__ __forceinline__ Coordinates CoordinatesOf(int64_t i, const Tensor4d& t) {
  Coordinates at;
  if (t.nhwc) {
    at.c = i % t.c;
    i /= t.c;
    at.w = i % t.w;
    i /= t.w;
    at.h = i % t.h;
    at.n = i / t.h;
  } else {
    at.w = i % t.w;
    i /= t.w;
    at.h = i % t.h;
    i /= t.h;
    at.c = i % t.c;
    at.n = i / t.c;
  }
  return at;
}

template <typename T>
__global__ void ConcatInputKernel(const T* __restrict__ x, T* __restrict__ y, Tensor4d input, int output_channels,
                                  int channel_offset, int64_t count) {
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += stride) {
    const Coordinates at = CoordinatesOf(i, input);
    y[Offset(at.n, at.c + channel_offset, at.h, at.w, output_channels, input.h, input.w, input.nhwc)] = x[i];
  }
}

template <typename T>
__global__ void TransposeKernel(const T* __restrict__ x, T* __restrict__ y, Tensor4d input, int64_t count) {
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += stride) {
    const Coordinates at = CoordinatesOf(i, input);
    y[Offset(at.n, at.c, at.h, at.w, input.c, input.h, input.w, !input.nhwc)] = x[i];
  }
}

}  // namespace

cudaError_t LaunchConcatInput(Element element, const void* x, void* y, const Tensor4d& input, int output_channels,
                              int channel_offset, cudaStream_t stream) {
  const int64_t count = input.elements();
  if (count <= 0) return cudaSuccess;
  return DispatchElement(element, [&](auto type) {
    using T = decltype(type);
    ConcatInputKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), input, output_channels, channel_offset, count);
    return cudaGetLastError();
  });
}

cudaError_t LaunchTranspose(Element element, const void* x, void* y, const Tensor4d& input, cudaStream_t stream) {
  const int64_t count = input.elements();
  if (count <= 0) return cudaSuccess;
  return DispatchElement(element, [&](auto type) {
    using T = decltype(type);
    TransposeKernel<T>
        <<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), input, count);
    return cudaGetLastError();
  });
}

}  // namespace convlat::agent::kernels
