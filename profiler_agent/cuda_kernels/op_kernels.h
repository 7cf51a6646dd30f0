#pragma once
// The project's own CUDA kernels for the ops cuDNN has no primitive for (or none that takes the
// data type): elementwise activations, binary arithmetic with an n x c x 1 x 1 second operand,
// concatenation along channels, nearest/bilinear resize and the NCHW <-> NHWC transpose.
// Host-callable from plain C++: each launcher enqueues its kernel on `stream` and returns the
// launch's status (cudaGetLastError), never waiting for the GPU.

#include <cuda_runtime_api.h>

#include <cstdint>

namespace convlat::agent::kernels {

// Elements are stored as these; every kernel computes in fp32.
enum class Element { kFloat32, kFloat16, kBfloat16 };

// The activations CNNs use, with the constants ONNX exporters (PyTorch) give them: leakyrelu
// slope 0.01, clip to [0, 6] (relu6), elu alpha 1, hardsigmoid relu6(x + 3) / 6, hardswish
// x * hardsigmoid(x), gelu with erf, silu x * sigmoid(x).
enum class Activation {
  kRelu,
  kLeakyRelu,
  kClip,
  kSigmoid,
  kHardSigmoid,
  kHardSwish,
  kTanh,
  kElu,
  kGelu,
  kExp,
  kLog,
  kSqrt,
  kAbs,
  kSoftplus,
  kMish,
  kSilu,
};

enum class Binary { kAdd, kSub, kMul, kDiv };

// A 4-D activation tensor; `nhwc` says how it is stored (channels innermost) or NCHW.
struct Tensor4d {
  int n = 1, c = 1, h = 1, w = 1;
  bool nhwc = false;
  int64_t elements() const { return int64_t{n} * c * h * w; }
};

// y = f(x) over `count` elements (layout does not matter to an elementwise op).
cudaError_t LaunchActivation(Activation function, Element element, const void* x, void* y, int64_t count,
                             cudaStream_t stream);

// y = a (op) b, a and y shaped `shape`; b the same, or n x c x 1 x 1 when `broadcast_b`.
cudaError_t LaunchBinary(Binary function, Element element, const void* a, const void* b, void* y, const Tensor4d& shape,
                         bool broadcast_b, cudaStream_t stream);

// Copies input `x` (shaped `input`) into channels [channel_offset, channel_offset + input.c) of
// `y`, which has `output_channels` channels and the same n, h, w and layout.
cudaError_t LaunchConcatInput(Element element, const void* x, void* y, const Tensor4d& input, int output_channels,
                              int channel_offset, cudaStream_t stream);

// Nearest (PyTorch's "nearest": source = floor(destination * in / out)) or bilinear (half-pixel
// centres, align_corners=False, clamped at the borders) resize of `input` to out_h x out_w.
cudaError_t LaunchResize(bool linear, Element element, const void* x, void* y, const Tensor4d& input, int out_h,
                         int out_w, cudaStream_t stream);

// The same tensor written in the other layout: `input.nhwc` says which one `x` is in.
cudaError_t LaunchTranspose(Element element, const void* x, void* y, const Tensor4d& input, cudaStream_t stream);

}  // namespace convlat::agent::kernels
