#pragma once
// A convolution with its defaults resolved, and the checks that make it well formed.

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct ConvShape {
  int64_t n = 1, c = 1, h = 1, w = 1, k = 1, r = 1, s = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1, groups = 1;
  v1::DataType dtype = v1::DATA_TYPE_FP32;
  v1::Layout layout = v1::LAYOUT_NCHW;
  v1::MathMode math_mode = v1::MATH_MODE_DEFAULT;

  // Output height and width.
  int64_t p() const;
  int64_t q() const;

  // Field by field: a shape is a configuration with its defaults resolved, so two spellings of
  // one convolution compare and hash alike (the measured-layer table keys on it).
  bool operator==(const ConvShape&) const = default;
  template <typename H>
  friend H AbslHashValue(H state, const ConvShape& s) {
    return H::combine(std::move(state), s.n, s.c, s.h, s.w, s.k, s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w,
                      s.dilation_h, s.dilation_w, s.groups, s.dtype, s.layout, s.math_mode);
  }
};

// Resolves 0 ("unset") to the documented defaults. Call ValidateConvParams first.
ConvShape ResolveConvShape(const v1::ConvParams& params);

// Fills unset fields of `params` with their defaults, in place, so stored and compared
// configurations have one spelling.
void NormalizeConvParams(v1::ConvParams& params);

// INVALID_ARGUMENT naming the field (prefixed by `field_path`, e.g. "layers[2]") when the
// convolution is not well formed: non-positive dims, negative padding, a dilated kernel larger
// than the padded input, groups that do not divide both channel counts, or an unknown enum value.
absl::Status ValidateConvParams(const v1::ConvParams& params, absl::string_view field_path);

int BytesPerElement(v1::DataType dtype);

}  // namespace convlat::model
