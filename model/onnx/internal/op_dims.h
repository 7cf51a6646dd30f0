#pragma once
// The 4-D views (n x c x h x w) of ONNX tensors that the agents time an op on: how a tensor of
// any rank folds to four dims, and how a broadcast operand is read. Not API: only model/onnx/ uses it.

#include <array>
#include <cstdint>
#include <optional>

#include "convlat/v1/types.pb.h"
#include "model/onnx/internal/graph.h"

namespace convlat::model::onnx_internal {

// A tensor of any rank as n x c x h x w with the same element count (rank 1 is channels, rank 2
// batch x channels, the dims past the third are folded into w); nullopt when a dim does not fit.
std::optional<std::array<int32_t, 4>> FoldTo4D(const Shape& shape);

// Sets the op's n, c, h and w to FoldTo4D(shape); false when it does not fold.
bool SetDims(v1::OpParams& op, const Shape& shape);

// The 4-D view of a binary op whose smaller operand `small` is broadcast over `large`, when the
// agents' reading of it (n x c x 1 x 1, a squeeze-excitation scale) does not hold: 1 x span x rest x 1,
// span the elements `small` has of its own (its dims that match `large`'s) and rest those it is
// repeated over. A bias over the last axis ([197, 1, 2304] + [2304]) or a scalar divisor (GELU's
// x / sqrt(2)) read as n x c x 1 x 1 is a broadcast over images or rows that oneDNN runs with its
// reference kernel, 30-100x slower than the per-channel broadcast it amounts to; the bytes and the
// work are the same either way. nullopt when the n x c x 1 x 1 reading holds.
std::optional<Shape> BroadcastView(const Shape& large, const Shape& small);

}  // namespace convlat::model::onnx_internal
