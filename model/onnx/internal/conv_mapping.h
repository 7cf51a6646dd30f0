#pragma once
// Conv, ConvTranspose, Gemm and MatMul nodes as the ConvParams of convlat's conv model. Not API:
// only model/onnx/ uses it.

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "model/onnx/internal/graph.h"
#include "onnx/onnx_pb.h"

namespace convlat::model::onnx_internal {

// The element types the conv model has data for; nullopt for the others.
std::optional<v1::DataType> ConvDataType(int elem_type);

// Conv and ConvTranspose attributes resolved to one spatial axis: pads from auto_pad as the
// runtime computes them, and the symmetric pad convlat's ConvParams hold (asymmetric pads are
// averaged, which changes the output size by at most one).
struct Axis {
  int64_t stride = 1, dilation = 1, pad = 0;
};

Axis ResolveAxis(const onnx::NodeProto& node, int axis, int spatial_axes, int64_t in, int64_t out, int64_t kernel);

// ConvParams hold 32-bit sizes; a claim beyond them (a hostile or broken file) is refused, not
// truncated into a plausible-looking layer.
bool FitsConvParams(const Shape& shape);

// Fills the ConvParams of a forward convolution of `x` (NCHW or NCL) by filter `w` (K x C/g x R x S).
absl::StatusOr<v1::ConvParams> ForwardConv(const onnx::NodeProto& node, int index, const Shape& x, const Shape& w,
                                           const Shape& y, int elem_type);

// A GEMM of M x K by K x N as the 1x1 convolution convlat's conv model predicts: one image of M
// pixels (M x 1) and K channels, N filters. The implicit GEMM is the same either way (M = N·P·Q),
// but libraries are not: oneDNN runs M images of one pixel as M matrix-vector products, reading
// the weights M times (ViT-B/16's MLP products took 23 ms on this 2-core CPU that way, 6 ms as
// pixels, which is what a GEMM library takes for them).
absl::StatusOr<v1::ConvParams> GemmAsConv(const onnx::NodeProto& node, int index, int64_t m, int64_t k, int64_t n,
                                          int elem_type);

// `batch` independent GEMMs of M x K by K x N (attention's Q·Kᵀ and ·V, a 3-D MatMul whose
// second operand has a batch too) as one grouped 1x1 convolution: M pixels of batch·K channels in
// `batch` groups, batch·N filters. The same FLOPs and the same bytes as the batched GEMM (each
// group's filter is one batch's B), which is how cuDNN and oneDNN run grouped convolutions.
absl::StatusOr<v1::ConvParams> BatchedGemmAsConv(const onnx::NodeProto& node, int index, int64_t batch, int64_t m,
                                                 int64_t k, int64_t n, int elem_type);

// An Einsum that is a (batched) matrix product, e.g. "bij,bjk->bik" or attention's "bhid,bhjd->bhij":
// every index is a batch (both operands and the output), a row (first operand and output), a column
// (second operand and output) or contracted (both operands, not the output). An error naming the
// equation for any other Einsum (a trace, a single-operand reduction, an ellipsis).
absl::StatusOr<v1::ConvParams> EinsumAsConv(const onnx::NodeProto& node, int index, const Shape& a, const Shape& b,
                                            int elem_type);

}  // namespace convlat::model::onnx_internal
