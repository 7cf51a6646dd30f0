#include "model/onnx/internal/op_dims.h"

#include <algorithm>

namespace convlat::model::onnx_internal {

std::optional<std::array<int32_t, 4>> FoldTo4D(const Shape& shape) {
  std::array<int64_t, 4> dims{1, 1, 1, 1};
  if (shape.size() == 1) dims[1] = shape[0];
  for (size_t i = 0; i < shape.size() && shape.size() > 1; ++i) {
    if (i < 3) {
      dims[i] = shape[i];
    } else if (dims[3] > (int64_t{1} << 30) / std::max<int64_t>(shape[i], 1)) {
      return std::nullopt;
    } else {
      dims[3] *= shape[i];
    }
  }
  std::array<int32_t, 4> folded{};
  for (int i = 0; i < 4; ++i) {
    if (dims[i] <= 0 || dims[i] > (int64_t{1} << 30)) return std::nullopt;
    folded[i] = static_cast<int32_t>(dims[i]);
  }
  return folded;
}

bool SetDims(v1::OpParams& op, const Shape& shape) {
  const std::optional<std::array<int32_t, 4>> dims = FoldTo4D(shape);
  if (!dims) return false;
  op.set_n((*dims)[0]);
  op.set_c((*dims)[1]);
  op.set_h((*dims)[2]);
  op.set_w((*dims)[3]);
  return true;
}

std::optional<Shape> BroadcastView(const Shape& large, const Shape& small) {
  Shape aligned(large.size() > small.size() ? large.size() - small.size() : 0, 1);
  aligned.insert(aligned.end(), small.begin(), small.end());
  if (aligned.size() != large.size()) return std::nullopt;
  const std::optional<std::array<int32_t, 4>> folded_large = FoldTo4D(large);
  const std::optional<std::array<int32_t, 4>> folded_small = FoldTo4D(aligned);
  if (!folded_large || !folded_small) return std::nullopt;
  const std::array<int32_t, 4> per_image_channel{(*folded_large)[0], (*folded_large)[1], 1, 1};
  if (*folded_small == per_image_channel) return std::nullopt;
  int64_t span = 1, rest = 1;
  for (size_t d = 0; d < large.size(); ++d) (aligned[d] == large[d] ? span : rest) *= large[d];
  if (span == 1) {
    // A scalar: timed as a per-channel broadcast over the innermost axis of more than one element,
    // which costs the same (a few more values read) and keeps the channels a blocked layout pads
    // to its vector width many: a 1-channel view would be padded 8-16 times over.
    for (auto d = large.rbegin(); d != large.rend(); ++d) {
      if (*d > 1) {
        span = *d;
        break;
      }
    }
    rest = static_cast<int64_t>(Elements(large)) / span;
  }
  return Shape{1, span, rest, 1};
}

}  // namespace convlat::model::onnx_internal
