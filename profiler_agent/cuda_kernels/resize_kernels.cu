// Nearest and bilinear resize, one thread per output element (grid-stride).
#include "profiler_agent/cuda_kernels/element_access.cuh"

namespace convlat::agent::kernels {
namespace {

// The output element i's coordinates (n, c, oh, ow), stored in the input's layout.
__device__ __forceinline__ void OutputCoordinates(int64_t i, const Tensor4d& in, int out_h, int out_w, int64_t& n,
                                                  int64_t& c, int64_t& oh, int64_t& ow) {
  if (in.nhwc) {
    c = i % in.c;
    i /= in.c;
    ow = i % out_w;
    i /= out_w;
    oh = i % out_h;
    n = i / out_h;
  } else {
    ow = i % out_w;
    i /= out_w;
    oh = i % out_h;
    i /= out_h;
    c = i % in.c;
    n = i / in.c;
  }
}

// Half-pixel source coordinate, clamped to [0, size - 1].
__device__ __forceinline__ float SourceCoordinate(int64_t out, float scale, int size) {
  return fminf(fmaxf((static_cast<float>(out) + 0.5f) * scale - 0.5f, 0.0f), static_cast<float>(size - 1));
}

template <bool kLinear, typename T>
__global__ void ResizeKernel(const T* __restrict__ x, T* __restrict__ y, Tensor4d in, int out_h, int out_w,
                             int64_t count) {
  const float scale_h = static_cast<float>(in.h) / out_h, scale_w = static_cast<float>(in.w) / out_w;
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += stride) {
    int64_t n, c, oh, ow;
    OutputCoordinates(i, in, out_h, out_w, n, c, oh, ow);
    if constexpr (!kLinear) {
      const int64_t ih = min(static_cast<int64_t>(oh * scale_h), int64_t{in.h} - 1);
      const int64_t iw = min(static_cast<int64_t>(ow * scale_w), int64_t{in.w} - 1);
      y[i] = x[Offset(n, c, ih, iw, in.c, in.h, in.w, in.nhwc)];
    } else {
      const float sh = SourceCoordinate(oh, scale_h, in.h), sw = SourceCoordinate(ow, scale_w, in.w);
      const int64_t h0 = static_cast<int64_t>(sh), w0 = static_cast<int64_t>(sw);
      const int64_t h1 = min(h0 + 1, int64_t{in.h} - 1), w1 = min(w0 + 1, int64_t{in.w} - 1);
      const float fh = sh - h0, fw = sw - w0;
      auto at = [&](int64_t h, int64_t w) { return Load(x, Offset(n, c, h, w, in.c, in.h, in.w, in.nhwc)); };
      const float top = at(h0, w0) * (1.0f - fw) + at(h0, w1) * fw;
      const float bottom = at(h1, w0) * (1.0f - fw) + at(h1, w1) * fw;
      Store(y, i, top * (1.0f - fh) + bottom * fh);
    }
  }
}

}  // namespace

cudaError_t LaunchResize(bool linear, Element element, const void* x, void* y, const Tensor4d& input, int out_h,
                         int out_w, cudaStream_t stream) {
  const int64_t count = int64_t{input.n} * input.c * out_h * out_w;
  if (count <= 0) return cudaSuccess;
  return DispatchElement(element, [&](auto type) {
    using T = decltype(type);
    const unsigned blocks = BlocksFor(count);
    if (linear) {
      ResizeKernel<true, T><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y),
                                                                     input, out_h, out_w, count);
    } else {
      ResizeKernel<false, T><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y),
                                                                      input, out_h, out_w, count);
    }
    return cudaGetLastError();
  });
}

}  // namespace convlat::agent::kernels
