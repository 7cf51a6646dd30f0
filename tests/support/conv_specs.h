#pragma once
// Test layers written as conv spec strings ("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1", the syntax of
// model/layers/conv_spec.h), so a test reads as the layers it is about. A spec the parser refuses is
// a mistake in the test: it throws, and GoogleTest fails the test naming the spec.

#include <string>

#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"
#include "model/layers/conv_shape.h"
#include "model/layers/network.h"

namespace convlat::testing {

// The spec's parameters, as a request or a measurement carries them.
v1::ConvParams ConvParamsOf(absl::string_view spec);

// The spec's resolved shape, as the models take it.
model::ConvShape ConvShapeOf(absl::string_view spec);

// A network's convolution layer, named by its spec.
model::NetworkLayer ConvLayer(absl::string_view spec);

// n=1, c input channels of hw x hw, k filters of r x r, "same" padding (r / 2), stride 1.
model::ConvShape SquareConvShape(int c, int hw, int k, int r);

}  // namespace convlat::testing
