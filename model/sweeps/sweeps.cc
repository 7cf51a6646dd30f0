#include "model/sweeps/sweeps.h"

#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/sweeps/op_sweeps.h"

namespace convlat::model {
namespace {

// One layer of a real network at 224x224 input, square kernels and inputs.
struct Layer {
  int c, hw, k, kernel, stride, pad, groups;
};

// ResNet-18 (torchvision), every distinct conv.
constexpr Layer kResNet18[] = {
    {3, 224, 64, 7, 2, 3, 1},   {64, 56, 64, 3, 1, 1, 1},   {64, 56, 128, 3, 2, 1, 1},  {128, 28, 128, 3, 1, 1, 1},
    {64, 56, 128, 1, 2, 0, 1},  {128, 28, 256, 3, 2, 1, 1}, {256, 14, 256, 3, 1, 1, 1}, {128, 28, 256, 1, 2, 0, 1},
    {256, 14, 512, 3, 2, 1, 1}, {512, 7, 512, 3, 1, 1, 1},  {256, 14, 512, 1, 2, 0, 1},
};

// ResNet-50 bottlenecks (torchvision v1.5: stride on the 3x3).
constexpr Layer kResNet50[] = {
    {64, 56, 64, 1, 1, 0, 1},     {64, 56, 256, 1, 1, 0, 1},   {256, 56, 64, 1, 1, 0, 1},   {256, 56, 128, 1, 1, 0, 1},
    {128, 56, 128, 3, 2, 1, 1},   {128, 28, 512, 1, 1, 0, 1},  {256, 56, 512, 1, 2, 0, 1},  {512, 28, 128, 1, 1, 0, 1},
    {512, 28, 256, 1, 1, 0, 1},   {256, 28, 256, 3, 2, 1, 1},  {256, 14, 1024, 1, 1, 0, 1}, {512, 28, 1024, 1, 2, 0, 1},
    {1024, 14, 256, 1, 1, 0, 1},  {1024, 14, 512, 1, 1, 0, 1}, {512, 14, 512, 3, 2, 1, 1},  {512, 7, 2048, 1, 1, 0, 1},
    {1024, 14, 2048, 1, 2, 0, 1}, {2048, 7, 512, 1, 1, 0, 1},
};

// VGG-16 convs (3x3, pad 1).
constexpr Layer kVgg16[] = {
    {3, 224, 64, 3, 1, 1, 1},    {64, 224, 64, 3, 1, 1, 1},  {64, 112, 128, 3, 1, 1, 1},
    {128, 112, 128, 3, 1, 1, 1}, {128, 56, 256, 3, 1, 1, 1}, {256, 56, 256, 3, 1, 1, 1},
    {256, 28, 512, 3, 1, 1, 1},  {512, 28, 512, 3, 1, 1, 1}, {512, 14, 512, 3, 1, 1, 1},
};

// MobileNetV2: stem, depthwise 3x3 (groups = channels) and pointwise 1x1 convs.
constexpr Layer kMobileNetV2[] = {
    {3, 224, 32, 3, 2, 1, 1},     {32, 112, 32, 3, 1, 1, 32},   {32, 112, 16, 1, 1, 0, 1},
    {16, 112, 96, 1, 1, 0, 1},    {96, 112, 96, 3, 2, 1, 96},   {96, 56, 24, 1, 1, 0, 1},
    {24, 56, 144, 1, 1, 0, 1},    {144, 56, 144, 3, 1, 1, 144}, {144, 56, 24, 1, 1, 0, 1},
    {144, 56, 144, 3, 2, 1, 144}, {144, 28, 32, 1, 1, 0, 1},    {32, 28, 192, 1, 1, 0, 1},
    {192, 28, 192, 3, 1, 1, 192}, {192, 28, 32, 1, 1, 0, 1},    {192, 28, 192, 3, 2, 1, 192},
    {192, 14, 64, 1, 1, 0, 1},    {64, 14, 384, 1, 1, 0, 1},    {384, 14, 384, 3, 1, 1, 384},
    {384, 14, 64, 1, 1, 0, 1},    {384, 14, 96, 1, 1, 0, 1},    {96, 14, 576, 1, 1, 0, 1},
    {576, 14, 576, 3, 1, 1, 576}, {576, 14, 96, 1, 1, 0, 1},    {576, 14, 576, 3, 2, 1, 576},
    {576, 7, 160, 1, 1, 0, 1},    {160, 7, 960, 1, 1, 0, 1},    {960, 7, 960, 3, 1, 1, 960},
    {960, 7, 160, 1, 1, 0, 1},    {960, 7, 320, 1, 1, 0, 1},    {320, 7, 1280, 1, 1, 0, 1},
};

// Classifier heads (Gemm/MatMul import as 1x1 convolutions on a 1x1 input): at batch 1 a
// matrix-vector product that streams its weights (VGG-16's first: 411 MB), far from any conv layer.
constexpr Layer kClassifiers[] = {
    {512, 1, 1000, 1, 1, 0, 1}, {1024, 1, 1000, 1, 1, 0, 1},  {1280, 1, 1000, 1, 1, 0, 1}, {2048, 1, 1000, 1, 1, 0, 1},
    {960, 1, 1280, 1, 1, 0, 1}, {25088, 1, 4096, 1, 1, 0, 1}, {4096, 1, 4096, 1, 1, 0, 1}, {4096, 1, 1000, 1, 1, 0, 1},
};

// Squeeze-excitation reductions and expansions (MobileNetV3, EfficientNet): 1x1 convolutions on
// the pooled 1x1 activation.
constexpr Layer kSqueezeExcitation[] = {
    {96, 1, 4, 1, 1, 0, 1},    {4, 1, 96, 1, 1, 0, 1},    {240, 1, 10, 1, 1, 0, 1},  {10, 1, 240, 1, 1, 0, 1},
    {672, 1, 28, 1, 1, 0, 1},  {28, 1, 672, 1, 1, 0, 1},  {1152, 1, 48, 1, 1, 0, 1}, {48, 1, 1152, 1, 1, 0, 1},
    {72, 1, 24, 1, 1, 0, 1},   {24, 1, 72, 1, 1, 0, 1},   {480, 1, 120, 1, 1, 0, 1}, {120, 1, 480, 1, 1, 0, 1},
    {960, 1, 240, 1, 1, 0, 1}, {240, 1, 960, 1, 1, 0, 1},
};

// EfficientNet-B0: 5x5 depthwise convs, squeeze-excitation 1x1 convs on 1x1 maps, projections.
constexpr Layer kEfficientNetB0[] = {
    {3, 224, 32, 3, 2, 1, 1},       {144, 56, 144, 5, 2, 2, 144}, {240, 28, 240, 5, 1, 2, 240},
    {240, 28, 40, 1, 1, 0, 1},      {40, 28, 240, 1, 1, 0, 1},    {480, 14, 480, 5, 1, 2, 480},
    {672, 14, 672, 5, 1, 2, 672},   {672, 14, 672, 5, 2, 2, 672}, {1152, 7, 1152, 5, 1, 2, 1152},
    {1152, 7, 1152, 3, 1, 1, 1152}, {1152, 1, 48, 1, 1, 0, 1},    {48, 1, 1152, 1, 1, 0, 1},
    {672, 7, 192, 1, 1, 0, 1},      {192, 7, 1152, 1, 1, 0, 1},   {1152, 7, 320, 1, 1, 0, 1},
};

v1::ConvParams ToParams(const Layer& layer, int batch) {
  v1::ConvParams p;
  p.set_n(batch);
  p.set_c(layer.c);
  p.set_h(layer.hw);
  p.set_w(layer.hw);
  p.set_k(layer.k);
  p.set_r(layer.kernel);
  p.set_s(layer.kernel);
  p.set_stride_h(layer.stride);
  p.set_stride_w(layer.stride);
  p.set_pad_h(layer.pad);
  p.set_pad_w(layer.pad);
  p.set_groups(layer.groups);
  NormalizeConvParams(p);
  return p;
}

// Collects configs in order, dropping repeats (networks share layers).
class SweepBuilder {
 public:
  template <size_t N>
  void AddNetwork(const Layer (&layers)[N], int batch) {
    for (const Layer& layer : layers) Add(ToParams(layer, batch));
  }
  void Add(v1::ConvParams params) {
    NormalizeConvParams(params);
    if (seen_.insert(params.SerializeAsString()).second) configs_.push_back(std::move(params));
  }
  std::vector<v1::ConvParams> Take() { return std::move(configs_); }

 private:
  std::set<std::string> seen_;
  std::vector<v1::ConvParams> configs_;
};

std::vector<v1::ConvParams> QuickSweep() {
  SweepBuilder sweep;
  sweep.AddNetwork(kResNet18, 1);
  sweep.AddNetwork(kMobileNetV2, 1);
  sweep.AddNetwork(kResNet50, 1);
  // A short out-channel staircase, so even the quick sweep shows the model a step.
  for (int k = 16; k <= 256; k += 16) sweep.Add(ToParams({64, 28, k, 3, 1, 1, 1}, 1));
  return sweep.Take();
}

std::vector<v1::ConvParams> DefaultSweep() {
  SweepBuilder sweep;
  for (int batch : {1, 8, 32}) {
    sweep.AddNetwork(kResNet18, batch);
    sweep.AddNetwork(kResNet50, batch);
    sweep.AddNetwork(kVgg16, batch);
    sweep.AddNetwork(kMobileNetV2, batch);
    sweep.AddNetwork(kEfficientNetB0, batch);
    sweep.AddNetwork(kClassifiers, batch);
    sweep.AddNetwork(kSqueezeExcitation, batch);
  }
  // Dense 1-D sweeps around a ResNet-like 3x3 layer: each varies one parameter in steps of one,
  // which is what exposes tile and wave quantization.
  for (int k = 1; k <= 512; ++k) sweep.Add(ToParams({64, 28, k, 3, 1, 1, 1}, 1));
  for (int c = 1; c <= 512; ++c) sweep.Add(ToParams({c, 28, 64, 3, 1, 1, 1}, 1));
  for (int hw = 4; hw <= 128; ++hw) sweep.Add(ToParams({64, hw, 64, 3, 1, 1, 1}, 1));
  for (int n = 1; n <= 64; ++n) sweep.Add(ToParams({64, 28, 64, 3, 1, 1, 1}, n));
  return sweep.Take();
}

}  // namespace

absl::StatusOr<std::vector<v1::ConvParams>> NamedSweep(absl::string_view name) {
  if (name == "quick") return QuickSweep();
  if (name == "default") return DefaultSweep();
  return absl::NotFoundError(absl::StrCat("unknown sweep '", name, "' (expected quick, default or a file path)"));
}

absl::StatusOr<std::vector<SpecLine>> ReadSpecFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<SpecLine> specs;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = line;
    if (const size_t hash = text.find('#'); hash != absl::string_view::npos) text = text.substr(0, hash);
    text = absl::StripAsciiWhitespace(text);
    if (text.empty()) continue;
    SpecLine& spec = specs.emplace_back(SpecLine{.line = number});
    absl::Status status;
    if (absl::StartsWith(text, "op=")) {
      absl::StatusOr<v1::OpParams> op = ParseOpSpec(text);
      status = op.ok() ? ValidateOpParams(*op, "") : op.status();
      if (status.ok()) {
        NormalizeOpParams(*op);
        spec.op = *op;
      }
    } else {
      absl::StatusOr<v1::ConvParams> params = ParseConvSpec(text);
      status = params.ok() ? ValidateConvParams(*params, "") : params.status();
      if (status.ok()) spec.conv = *params;
    }
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", status.message()));
  }
  if (specs.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " has no configs"));
  return specs;
}

absl::StatusOr<Sweep> LoadSweepFile(const std::string& path) {
  absl::StatusOr<std::vector<SpecLine>> specs = ReadSpecFile(path);
  if (!specs.ok()) return specs.status();
  // A sweep measures each configuration once.
  SweepBuilder convs;
  Sweep sweep;
  std::set<std::string> seen_ops;
  for (const SpecLine& spec : *specs) {
    if (spec.conv) convs.Add(*spec.conv);
    if (spec.op && seen_ops.insert(spec.op->SerializeAsString()).second) sweep.ops.push_back(*spec.op);
  }
  sweep.convs = convs.Take();
  return sweep;
}

absl::StatusOr<Sweep> ResolveSweep(absl::string_view name_or_path) {
  if (name_or_path == "quick" || name_or_path == "default" || name_or_path == "ops") {
    Sweep sweep;
    if (name_or_path != "ops") {
      absl::StatusOr<std::vector<v1::ConvParams>> convs = NamedSweep(name_or_path);
      if (!convs.ok()) return convs.status();
      sweep.convs = *std::move(convs);
    }
    absl::StatusOr<std::vector<v1::OpParams>> ops = NamedOpSweep(name_or_path);
    if (!ops.ok()) return ops.status();
    sweep.ops = *std::move(ops);
    return sweep;
  }
  absl::StatusOr<Sweep> sweep = LoadSweepFile(std::string(name_or_path));
  if (absl::IsNotFound(sweep.status())) {  // the file does not open: a typo as likely as a path
    return absl::NotFoundError(absl::StrCat(
        "'", name_or_path, "' is neither a named sweep (quick, default, ops) nor a file that can be read"));
  }
  return sweep;
}

}  // namespace convlat::model
