#pragma once
// An op as a key: its fields normalized (NormalizeOpParams), compared and hashed as they are, so
// two spellings of one op are one configuration. (A convolution's key is its ConvShape.)

#include <cstdint>
#include <string>
#include <utility>

#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct OpConfiguration {
  v1::OpKind kind = v1::OP_KIND_UNSPECIFIED;
  int32_t n = 0, c = 0, h = 0, w = 0;
  int32_t kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0, pad_h = 0, pad_w = 0;
  int32_t out_h = 0, out_w = 0, inputs = 0;
  bool broadcast = false;
  std::string function;
  v1::DataType dtype = v1::DATA_TYPE_UNSPECIFIED;
  v1::Layout layout = v1::LAYOUT_UNSPECIFIED;

  static OpConfiguration Of(const v1::OpParams& op);

  bool operator==(const OpConfiguration&) const = default;
  template <typename H>
  friend H AbslHashValue(H state, const OpConfiguration& o) {
    return H::combine(std::move(state), o.kind, o.n, o.c, o.h, o.w, o.kernel_h, o.kernel_w, o.stride_h, o.stride_w,
                      o.pad_h, o.pad_w, o.out_h, o.out_w, o.inputs, o.broadcast, o.function, o.dtype, o.layout);
  }
};

}  // namespace convlat::model
