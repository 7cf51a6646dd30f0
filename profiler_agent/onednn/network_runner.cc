#include "profiler_agent/onednn/network_runner.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>

#include "absl/strings/str_cat.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "profiler_agent/backend/timing_stats.h"
#include "profiler_agent/onednn/onednn_conv.h"
#include "profiler_agent/onednn/onednn_ops.h"

namespace convlat::agent {
namespace {

absl::StatusOr<PreparedPrimitive> Prepare(const model::NetworkLayer& layer, v1::Layout layout,
                                          const dnnl::engine& engine) {
  if (layer.conv) {
    v1::ConvParams conv = *layer.conv;
    if (layout != v1::LAYOUT_UNSPECIFIED) conv.set_layout(layout);
    return PrepareOneDnnConv(conv, engine);
  }
  if (layer.op_params) {
    v1::OpParams op = *layer.op_params;
    if (layout != v1::LAYOUT_UNSPECIFIED) op.set_layout(layout);
    return PrepareOneDnnOp(op, engine);
  }
  return absl::UnimplementedError("not an op the agent times");
}

// The argument that carries a layer's (first) input, and its output.
constexpr int kInputArgs[] = {DNNL_ARG_SRC, DNNL_ARG_FROM, DNNL_ARG_MULTIPLE_SRC};
constexpr int kOutputArgs[] = {DNNL_ARG_DST, DNNL_ARG_TO};

// Two buffers that every layer's input and output alternate between, so that a layer reads what
// the layer before it has just written, from cache, as in a runtime; the weights and other
// operands keep their own buffers.
class PingPongActivations {
 public:
  explicit PingPongActivations(const std::vector<PreparedPrimitive>& primitives) {
    size_t largest = 0;  // of the activations only: weights keep their own buffers
    for (const PreparedPrimitive& p : primitives) {
      for (const auto& [arg, memory] : p.args) {
        if (IsActivation(arg)) largest = std::max(largest, memory.get_desc().get_size());
      }
    }
    // Page-aligned, as oneDNN aligns the memory it allocates itself: some of its JIT kernels
    // (the blocked-layout linear resampling, for one) use aligned vector loads, which fault on
    // malloc's 16-byte alignment, and unaligned rows would also split cache lines that the
    // layers timed alone never split.
    const size_t floats = (largest / sizeof(float) + kAlignment) / kAlignment * kAlignment;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> value(0.1f, 1.0f);
    for (AlignedFloats& buffer : buffers_) {
      buffer.reset(static_cast<float*>(std::aligned_alloc(kAlignment, floats * sizeof(float))));
      if (buffer == nullptr) throw std::bad_alloc();
      for (size_t i = 0; i < floats; ++i) buffer[i] = value(rng);
    }
  }

  static bool IsActivation(int arg) {
    return std::find(std::begin(kInputArgs), std::end(kInputArgs), arg) != std::end(kInputArgs) ||
           std::find(std::begin(kOutputArgs), std::end(kOutputArgs), arg) != std::end(kOutputArgs);
  }

  void Chain(PreparedPrimitive& layer, size_t index, const dnnl::engine& engine) {
    Rebind(layer, kInputArgs, buffers_[index % 2].get(), engine);
    Rebind(layer, kOutputArgs, buffers_[(index + 1) % 2].get(), engine);
  }

 private:
  template <size_t N>
  static void Rebind(PreparedPrimitive& layer, const int (&args)[N], float* data, const dnnl::engine& engine) {
    for (int arg : args) {
      auto it = layer.args.find(arg);
      if (it != layer.args.end()) it->second = dnnl::memory(it->second.get_desc(), engine, data);
    }
  }

  static constexpr size_t kAlignment = 4096;
  struct Free {
    void operator()(float* data) const { std::free(data); }
  };
  using AlignedFloats = std::unique_ptr<float[], Free>;
  AlignedFloats buffers_[2];
};

}  // namespace

absl::StatusOr<NetworkRun> RunNetworkOnOneDnn(const std::vector<model::NetworkLayer>& layers, v1::Layout layout,
                                              int runs) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  NetworkRun run;
  std::vector<PreparedPrimitive> primitives;
  for (const model::NetworkLayer& layer : layers) {
    absl::StatusOr<PreparedPrimitive> prepared = absl::InternalError("");
    try {
      prepared = Prepare(layer, layout, engine);
    } catch (const dnnl::error& e) {
      prepared = absl::UnimplementedError(absl::StrCat("oneDNN: ", e.what()));
    }
    if (!prepared.ok()) {
      run.skipped.push_back(absl::StrCat(layer.name, ": ", prepared.status().message()));
      continue;
    }
    run.layers.push_back({.name = layer.name, .op = layer.op, .implementation = prepared->implementation});
    primitives.push_back(*std::move(prepared));
  }
  if (primitives.empty()) return absl::FailedPreconditionError("no layer of the network runs on oneDNN here");
  PingPongActivations activations(primitives);
  for (size_t i = 0; i < primitives.size(); ++i) activations.Chain(primitives[i], i, engine);

  // Warm-up passes, then timed ones; the CPU stream runs each primitive to completion in order.
  std::vector<std::vector<double>> layer_us(primitives.size());
  std::vector<double> pass_us;
  for (int pass = -2; pass < runs; ++pass) {
    const auto pass_start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < primitives.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      primitives[i].primitive.execute(stream, primitives[i].args);
      stream.wait();
      if (pass >= 0) {
        layer_us[i].push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      }
    }
    if (pass >= 0) {
      pass_us.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - pass_start).count());
    }
  }
  run.median_us = SummarizeTimings(std::move(pass_us)).median_us();
  for (size_t i = 0; i < primitives.size(); ++i) {
    run.layers[i].median_us = SummarizeTimings(std::move(layer_us[i])).median_us();
  }
  return run;
}

}  // namespace convlat::agent
