#pragma once
// Ops other than convolutions (pooling, activations, elementwise arithmetic, concatenation,
// softmax, resize, batch normalization, copies): their checks, defaults, text spelling, and the
// work they do, which is what the op model's costs scale with.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// Fills unset fields with their documented defaults (stride 1, 2 inputs, the kind's default
// function, fp32, nchw), in place, so stored and compared ops have one spelling.
void NormalizeOpParams(v1::OpParams& op);

// INVALID_ARGUMENT naming the field (prefixed by `field_path`) when the op is not well formed.
absl::Status ValidateOpParams(const v1::OpParams& op, absl::string_view field_path);

// Pooling output height and width (floor rounding, as ONNX's default).
int64_t PooledHeight(const v1::OpParams& op);
int64_t PooledWidth(const v1::OpParams& op);

// What an op costs on any device: the bytes it reads and writes (each tensor once) and its
// arithmetic. Of a normalized, valid op.
struct OpWork {
  double bytes = 0;
  double flops = 0;
};
OpWork WorkOf(const v1::OpParams& op);

// "max_pool", "avg_pool", "activation", "binary", "concat", "softmax", "resize", "batch_norm",
// "copy".
std::string OpKindName(v1::OpKind kind);
absl::StatusOr<v1::OpKind> ParseOpKind(absl::string_view name);

// The text spelling of sweep files and CSV cells:
//   op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1
//   op=binary,function=mul,n=1,c=96,h=56,w=56,broadcast=1
// Keys: op n c h w; kernel stride pad (both dims) or kernel_h/_w, stride_h/_w, pad_h/_w;
// out_h out_w; inputs; broadcast=0|1; function; dtype; layout.
absl::StatusOr<v1::OpParams> ParseOpSpec(absl::string_view spec);
std::string FormatOpSpec(const v1::OpParams& op);

}  // namespace convlat::model
