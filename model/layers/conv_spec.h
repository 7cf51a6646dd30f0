#pragma once
// The text spelling of a convolution used on command lines and in sweep files:
//   n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=1,pad=1
// Keys: n c h w k r s; stride pad dilation (both dims) or stride_h/stride_w, pad_h/pad_w,
// dilation_h/dilation_w; groups; dtype=fp32|fp16|bf16|int8; layout=nchw|nhwc;
// math=default|tensor_op. Unknown keys and malformed values are errors naming the key.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

absl::StatusOr<v1::ConvParams> ParseConvSpec(absl::string_view spec);

// The items of a "key=value,key=value" spec (conv and op specs alike): lower-case keys and their
// values, whitespace trimmed. INVALID_ARGUMENT for an empty spec (naming `what`) or an item that
// is not key=value.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SplitSpec(absl::string_view spec,
                                                                           absl::string_view what);
std::string FormatConvSpec(const v1::ConvParams& params);

absl::StatusOr<v1::DataType> ParseDataType(absl::string_view name);
absl::StatusOr<v1::Layout> ParseLayout(absl::string_view name);
absl::StatusOr<v1::MathMode> ParseMathMode(absl::string_view name);
std::string DataTypeName(v1::DataType dtype);
std::string LayoutName(v1::Layout layout);
std::string MathModeName(v1::MathMode mode);

}  // namespace convlat::model
