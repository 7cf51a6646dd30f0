#include "model/sweeps/op_sweeps.h"

#include <initializer_list>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

struct Activation {
  int c, hw;  // channels and square spatial size
};

// Activation tensors met in CNNs, from the stem (64 x 112 x 112) to the last stage (2048 x 7 x 7).
constexpr Activation kDefaultSizes[] = {{3, 224},  {64, 224}, {16, 112},  {32, 112}, {64, 112}, {24, 56},  {64, 56},
                                        {128, 56}, {256, 56}, {40, 28},   {128, 28}, {256, 28}, {512, 28}, {80, 14},
                                        {256, 14}, {512, 14}, {1024, 14}, {160, 7},  {512, 7},  {1024, 7}, {2048, 7}};
constexpr Activation kQuickSizes[] = {{64, 112}, {64, 56}, {256, 28}, {512, 14}, {1024, 7}};

v1::OpParams Op(v1::OpKind kind, int n, const Activation& size) {
  v1::OpParams op;
  op.set_kind(kind);
  op.set_n(n);
  op.set_c(size.c);
  op.set_h(size.hw);
  op.set_w(size.hw);
  return op;
}

class OpSweepBuilder {
 public:
  void Add(v1::OpParams op) {
    NormalizeOpParams(op);
    if (ValidateOpParams(op, "").ok()) ops_.push_back(std::move(op));
  }

  void AddEveryKind(int n, const Activation& size, std::initializer_list<const char*> activations) {
    if (size.hw >= 14) {
      for (auto [kernel, stride, pad] : {std::tuple{3, 2, 1}, std::tuple{2, 2, 0}}) {
        v1::OpParams pool = Op(v1::OP_KIND_MAX_POOL, n, size);
        pool.set_kernel_h(kernel);
        pool.set_kernel_w(kernel);
        pool.set_stride_h(stride);
        pool.set_stride_w(stride);
        pool.set_pad_h(pad);
        pool.set_pad_w(pad);
        Add(pool);
        if (kernel == 2) {
          pool.set_kind(v1::OP_KIND_AVG_POOL);
          Add(pool);
        }
      }
    }
    v1::OpParams global = Op(v1::OP_KIND_AVG_POOL, n, size);
    global.set_kernel_h(size.hw);
    global.set_kernel_w(size.hw);
    Add(global);
    for (const char* function : activations) {
      v1::OpParams activation = Op(v1::OP_KIND_ACTIVATION, n, size);
      activation.set_function(function);
      Add(activation);
    }
    v1::OpParams add = Op(v1::OP_KIND_BINARY, n, size);
    add.set_function("add");
    Add(add);
    v1::OpParams scale = Op(v1::OP_KIND_BINARY, n, size);
    scale.set_function("mul");
    scale.set_broadcast(true);
    Add(scale);
    for (int inputs : {2, 4, 16}) {
      v1::OpParams concat = Op(v1::OP_KIND_CONCAT, n, size);
      concat.set_inputs(inputs);
      Add(concat);
    }
    Add(Op(v1::OP_KIND_BATCH_NORM, n, size));
    Add(Op(v1::OP_KIND_COPY, n, size));
    if (size.hw <= 56) {
      for (const char* mode : {"nearest", "linear"}) {
        v1::OpParams resize = Op(v1::OP_KIND_RESIZE, n, size);
        resize.set_out_h(2 * size.hw);
        resize.set_out_w(2 * size.hw);
        resize.set_function(mode);
        Add(resize);
      }
    }
  }

  // Over channels: classifier outputs (n x classes), or per pixel (segmentation heads).
  void AddSoftmax(int n, int classes, int hw = 1) { Add(Op(v1::OP_KIND_SOFTMAX, n, {classes, hw})); }

  std::vector<v1::OpParams> Take() { return std::move(ops_); }

 private:
  std::vector<v1::OpParams> ops_;
};

}  // namespace

absl::StatusOr<std::vector<v1::OpParams>> NamedOpSweep(absl::string_view name) {
  OpSweepBuilder sweep;
  if (name == "quick") {
    for (const Activation& size : kQuickSizes) sweep.AddEveryKind(1, size, {"relu", "sigmoid"});
    sweep.AddSoftmax(1, 1000);
    return sweep.Take();
  }
  if (name == "default" || name == "ops") {
    for (int n : {1, 4}) {
      for (const Activation& size : kDefaultSizes)
        sweep.AddEveryKind(n, size, {"relu", "sigmoid", "hardswish", "clip"});
      for (int classes : {10, 100, 1000, 10000, 21843}) sweep.AddSoftmax(n, classes);
      for (int hw : {28, 56, 112}) sweep.AddSoftmax(n, 21, hw);
    }
    return sweep.Take();
  }
  return absl::NotFoundError(absl::StrCat("unknown op sweep '", name, "' (expected quick, default or ops)"));
}

}  // namespace convlat::model
