#include "tests/support/conv_specs.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_spec.h"

namespace convlat::testing {

v1::ConvParams ConvParamsOf(absl::string_view spec) {
  absl::StatusOr<v1::ConvParams> params = model::ParseConvSpec(spec);
  if (!params.ok())
    throw std::invalid_argument(absl::StrCat("test conv spec '", spec, "': ", params.status().message()));
  return *std::move(params);
}

model::ConvShape ConvShapeOf(absl::string_view spec) { return model::ResolveConvShape(ConvParamsOf(spec)); }

model::NetworkLayer ConvLayer(absl::string_view spec) {
  model::NetworkLayer layer;
  layer.name = std::string(spec);
  layer.op = "Conv";
  layer.conv = ConvParamsOf(spec);
  return layer;
}

model::ConvShape SquareConvShape(int c, int hw, int k, int r) {
  return ConvShapeOf(absl::StrCat("n=1,c=", c, ",h=", hw, ",w=", hw, ",k=", k, ",r=", r, ",s=", r, ",pad=", r / 2));
}

}  // namespace convlat::testing
