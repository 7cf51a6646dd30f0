#pragma once
// What every kernel of this folder shares: loading and storing fp32/fp16/bf16 elements as fp32,
// launch geometry for grid-stride loops, and dispatch from the runtime Element to a type.

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "profiler_agent/cuda_kernels/op_kernels.h"

namespace convlat::agent::kernels {

__device__ __forceinline__ float Load(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ float Load(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ __forceinline__ float Load(const __nv_bfloat16* p, int64_t i) { return __bfloat162float(p[i]); }

__device__ __forceinline__ void Store(float* p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void Store(__half* p, int64_t i, float v) { p[i] = __float2half_rn(v); }
__device__ __forceinline__ void Store(__nv_bfloat16* p, int64_t i, float v) { p[i] = __float2bfloat16_rn(v); }

constexpr int kThreadsPerBlock = 256;

// Enough blocks to cover `count` elements once, capped so a grid-stride loop covers the rest
// (a 1-D grid's x dimension goes up to 2^31 - 1, far beyond what keeps the GPU busy).
inline unsigned BlocksFor(int64_t count) {
  const int64_t blocks = (count + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, int64_t{1} << 20));
}

// The index of channel c of element (n, c, h, w) and its offset, in either layout.
__device__ __forceinline__ int64_t Offset(int64_t n, int64_t c, int64_t h, int64_t w, int64_t channels, int64_t height,
                                          int64_t width, bool nhwc) {
  return nhwc ? ((n * height + h) * width + w) * channels + c : ((n * channels + c) * height + h) * width + w;
}

// Calls launch(T{}) with T the C++ type of `element`.
template <typename Launch>
cudaError_t DispatchElement(Element element, Launch&& launch) {
  switch (element) {
    case Element::kFloat32: return launch(float{});
    case Element::kFloat16: return launch(__half{});
    case Element::kBfloat16: return launch(__nv_bfloat16{});
  }
  return cudaErrorInvalidValue;
}

}  // namespace convlat::agent::kernels
