#include "model/measured/op_configuration.h"

#include "model/layers/op_params.h"

namespace convlat::model {

OpConfiguration OpConfiguration::Of(const v1::OpParams& op) {
  // The defaults are NormalizeOpParams' alone (one place says what an unset field means), so the
  // fields are read off a normalized copy.
  v1::OpParams normalized = op;
  NormalizeOpParams(normalized);
  const v1::OpParams& o = normalized;
  return {.kind = o.kind(),
          .n = o.n(),
          .c = o.c(),
          .h = o.h(),
          .w = o.w(),
          .kernel_h = o.kernel_h(),
          .kernel_w = o.kernel_w(),
          .stride_h = o.stride_h(),
          .stride_w = o.stride_w(),
          .pad_h = o.pad_h(),
          .pad_w = o.pad_w(),
          .out_h = o.out_h(),
          .out_w = o.out_w(),
          .inputs = o.inputs(),
          .broadcast = o.broadcast(),
          .function = o.function(),
          .dtype = o.dtype(),
          .layout = o.layout()};
}

}  // namespace convlat::model
