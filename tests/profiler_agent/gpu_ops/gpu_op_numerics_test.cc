// Each op kind run for real on the GPU (cuDNN primitive or the project's kernel) on a small fp32
// tensor, in both layouts, against a CPU reference: what makes the op timings trustworthy.
// Skips, saying why, where there is no GPU.
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "model/layers/op_params.h"
#include "profiler_agent/cudnn/device_operands.h"
#include "profiler_agent/gpu_ops/gpu_op_runner.h"
#include "tests/profiler_agent/cudnn/needs_gpu.h"

namespace convlat::agent {
namespace {

using Host = std::vector<float>;

size_t At(const kernels::Tensor4d& t, int n, int c, int h, int w) {
  return t.nhwc ? ((size_t(n) * t.h + h) * t.w + w) * t.c + c : ((size_t(n) * t.c + c) * t.h + h) * t.w + w;
}

// Values in [low, high): negative ones too, so that relu, clip, ... are tested on both sides.
Host Random(size_t count, float low, float high, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(low, high);
  Host values(count);
  for (float& v : values) v = value(rng);
  return values;
}

float Activation(const std::string& f, float x) {
  auto relu6 = [](float v) { return std::clamp(v, 0.0f, 6.0f); };
  auto softplus = [](float v) { return std::log1p(std::exp(v)); };
  if (f == "relu") return std::max(x, 0.0f);
  if (f == "leakyrelu") return x >= 0 ? x : 0.01f * x;
  if (f == "clip") return relu6(x);
  if (f == "sigmoid") return 1 / (1 + std::exp(-x));
  if (f == "hardsigmoid") return relu6(x + 3) / 6;
  if (f == "hardswish") return x * relu6(x + 3) / 6;
  if (f == "tanh") return std::tanh(x);
  if (f == "elu") return x >= 0 ? x : std::expm1(x);
  if (f == "gelu") return 0.5f * x * (1 + std::erf(x / std::sqrt(2.0f)));
  if (f == "exp") return std::exp(x);
  if (f == "log") return std::log(x);
  if (f == "sqrt") return std::sqrt(x);
  if (f == "abs") return std::abs(x);
  if (f == "softplus") return softplus(x);
  if (f == "mish") return x * std::tanh(softplus(x));
  if (f == "silu") return x / (1 + std::exp(-x));
  ADD_FAILURE() << "no reference for " << f;
  return 0;
}

// The CPU reference of `plan`'s op on `input` and `sides` (the same layouts as the GPU's).
Host Reference(const GpuOpPlan& plan, const Host& input, const std::vector<Host>& sides) {
  const kernels::Tensor4d& in = plan.input;
  const kernels::Tensor4d& out = plan.output;
  const v1::OpParams& op = plan.op;
  Host y(out.elements());
  for (int n = 0; n < out.n; ++n) {
    for (int c = 0; c < out.c; ++c) {
      for (int h = 0; h < out.h; ++h) {
        for (int w = 0; w < out.w; ++w) {
          float& result = y[At(out, n, c, h, w)];
          switch (op.kind()) {
            case v1::OP_KIND_MAX_POOL:
            case v1::OP_KIND_AVG_POOL: {
              float best = -INFINITY, sum = 0;
              int count = 0;
              for (int i = 0; i < op.kernel_h(); ++i) {
                for (int j = 0; j < op.kernel_w(); ++j) {
                  const int ih = h * op.stride_h() - op.pad_h() + i, iw = w * op.stride_w() - op.pad_w() + j;
                  if (ih < 0 || iw < 0 || ih >= in.h || iw >= in.w) continue;
                  const float v = input[At(in, n, c, ih, iw)];
                  best = std::max(best, v);
                  sum += v;
                  ++count;
                }
              }
              result = op.kind() == v1::OP_KIND_MAX_POOL ? best : sum / count;
              break;
            }
            case v1::OP_KIND_ACTIVATION: result = Activation(op.function(), input[At(in, n, c, h, w)]); break;
            case v1::OP_KIND_BINARY: {
              const float a = input[At(in, n, c, h, w)];
              const float b = op.broadcast() ? sides[0][size_t(n) * in.c + c] : sides[0][At(in, n, c, h, w)];
              const std::string& f = op.function();
              result = f == "add" ? a + b : f == "sub" ? a - b : f == "mul" ? a * b : a / b;
              break;
            }
            case v1::OP_KIND_CONCAT: {
              int source = 0, channel = c;
              while (channel >= plan.concat_channels[source]) channel -= plan.concat_channels[source++];
              kernels::Tensor4d part = in;
              part.c = plan.concat_channels[source];
              result = (source == 0 ? input : sides[source - 1])[At(part, n, channel, h, w)];
              break;
            }
            case v1::OP_KIND_SOFTMAX: {
              float top = -INFINITY, sum = 0;
              for (int k = 0; k < in.c; ++k) top = std::max(top, input[At(in, n, k, h, w)]);
              for (int k = 0; k < in.c; ++k) sum += std::exp(input[At(in, n, k, h, w)] - top);
              result = std::exp(input[At(in, n, c, h, w)] - top) / sum;
              break;
            }
            case v1::OP_KIND_RESIZE: {
              const float sh = float(in.h) / out.h, sw = float(in.w) / out.w;
              if (op.function() == "nearest") {
                result = input[At(in, n, c, std::min(int(h * sh), in.h - 1), std::min(int(w * sw), in.w - 1))];
                break;
              }
              const float y0 = std::clamp((h + 0.5f) * sh - 0.5f, 0.0f, float(in.h - 1));
              const float x0 = std::clamp((w + 0.5f) * sw - 0.5f, 0.0f, float(in.w - 1));
              const int h0 = int(y0), w0 = int(x0), h1 = std::min(h0 + 1, in.h - 1), w1 = std::min(w0 + 1, in.w - 1);
              const float fh = y0 - h0, fw = x0 - w0;
              auto v = [&](int a, int b) { return input[At(in, n, c, a, b)]; };
              result =
                  (v(h0, w0) * (1 - fw) + v(h0, w1) * fw) * (1 - fh) + (v(h1, w0) * (1 - fw) + v(h1, w1) * fw) * fh;
              break;
            }
            case v1::OP_KIND_BATCH_NORM:
              result = sides[0][c] * (input[At(in, n, c, h, w)] - sides[2][c]) / std::sqrt(sides[3][c] + 1e-5f) +
                       sides[1][c];
              break;
            case v1::OP_KIND_COPY: {
              kernels::Tensor4d other = in;
              other.nhwc = !in.nhwc;
              y[At(other, n, c, h, w)] = input[At(in, n, c, h, w)];
              break;
            }
            default: ADD_FAILURE() << "no reference for kind " << op.kind();
          }
        }
      }
    }
  }
  return y;
}

class GpuOpNumericsTest : public NeedsGpu<::testing::TestWithParam<const char*>> {
 protected:
  void SetUp() override {
    NeedsGpu::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(cudaStreamCreate(&stream_), cudaSuccess);
    ASSERT_EQ(cudnnCreate(&handle_), CUDNN_STATUS_SUCCESS);
    ASSERT_EQ(cudnnSetStream(handle_, stream_), CUDNN_STATUS_SUCCESS);
  }
  void TearDown() override {
    if (handle_ != nullptr) cudnnDestroy(handle_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  DeviceBuffer Upload(const Host& values) {
    absl::StatusOr<DeviceBuffer> buffer = DeviceBuffer::Allocate(values.size() * sizeof(float));
    EXPECT_TRUE(buffer.ok()) << buffer.status();
    EXPECT_EQ(cudaMemcpy(buffer->data(), values.data(), buffer->size(), cudaMemcpyHostToDevice), cudaSuccess);
    return *std::move(buffer);
  }

  // Runs `spec` (fp32) on the GPU and compares with the reference, element by element.
  void Check(const std::string& spec, bool prefer_cudnn) {
    absl::StatusOr<GpuOpPlan> plan = PlanGpuOp(*model::ParseOpSpec(spec), prefer_cudnn);
    ASSERT_TRUE(plan.ok()) << plan.status();
    absl::StatusOr<GpuOpRunner> runner = GpuOpRunner::Create(*plan);
    ASSERT_TRUE(runner.ok()) << runner.status();
    const std::string& f = plan->op.function();
    const bool positive = f == "log" || f == "sqrt" || f == "div" || plan->op.kind() == v1::OP_KIND_BATCH_NORM;
    const Host input = Random(plan->input_bytes() / 4, positive ? 0.5f : -4.0f, 4.0f, 1);
    std::vector<Host> sides;
    std::vector<DeviceBuffer> side_buffers;
    GpuOpOperands operands;
    for (int64_t bytes : plan->side_operand_bytes()) {
      sides.push_back(Random(bytes / 4, positive ? 0.5f : -2.0f, 2.0f, 2 + sides.size()));
      side_buffers.push_back(Upload(sides.back()));
      operands.sides.push_back(side_buffers.back().data());
    }
    DeviceBuffer x = Upload(input);
    DeviceBuffer y = Upload(Host(plan->output_bytes() / 4, NAN));
    operands.input = x.data();
    operands.output = y.data();
    ASSERT_TRUE(runner->Run(handle_, stream_, operands).ok());
    ASSERT_EQ(cudaStreamSynchronize(stream_), cudaSuccess);
    Host got(plan->output_bytes() / 4);
    ASSERT_EQ(cudaMemcpy(got.data(), y.data(), y.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    const Host want = Reference(*plan, input, sides);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 1e-4 + 1e-4 * std::abs(want[i])) << plan->implementation() << " element " << i;
    }
  }

  cudaStream_t stream_ = nullptr;
  cudnnHandle_t handle_ = nullptr;
};

TEST_P(GpuOpNumericsTest, MatchesTheCpuReferenceInBothLayouts) {
  for (const char* layout : {"nchw", "nhwc"}) {
    for (bool prefer_cudnn : {true, false}) {
      SCOPED_TRACE(absl::StrCat(GetParam(), " ", layout, prefer_cudnn ? " cudnn first" : " kernels"));
      Check(absl::StrCat(GetParam(), ",layout=", layout), prefer_cudnn);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, GpuOpNumericsTest,
    ::testing::Values("op=max_pool,n=2,c=5,h=9,w=7,kernel=3,stride=2,pad=1",
                      "op=avg_pool,n=2,c=5,h=9,w=7,kernel=3,stride=2,pad=1", "op=avg_pool,n=2,c=5,h=7,w=7,kernel=7",
                      "op=max_pool,n=2,c=5,h=7,w=7,kernel=7", "op=activation,function=relu,n=2,c=5,h=6,w=7",
                      "op=activation,function=clip,n=2,c=5,h=6,w=7", "op=activation,function=sigmoid,n=2,c=5,h=6,w=7",
                      "op=activation,function=tanh,n=2,c=5,h=6,w=7", "op=activation,function=elu,n=2,c=5,h=6,w=7",
                      "op=activation,function=silu,n=2,c=5,h=6,w=7", "op=activation,function=hardswish,n=2,c=5,h=6,w=7",
                      "op=activation,function=hardsigmoid,n=2,c=5,h=6,w=7",
                      "op=activation,function=gelu,n=2,c=5,h=6,w=7", "op=activation,function=leakyrelu,n=2,c=5,h=6,w=7",
                      "op=activation,function=mish,n=2,c=5,h=6,w=7", "op=activation,function=log,n=2,c=5,h=6,w=7",
                      "op=binary,function=add,n=2,c=5,h=6,w=7", "op=binary,function=sub,n=2,c=5,h=6,w=7,broadcast=1",
                      "op=binary,function=mul,n=2,c=5,h=6,w=7,broadcast=1", "op=binary,function=div,n=2,c=5,h=6,w=7",
                      "op=concat,n=2,c=11,h=6,w=7,inputs=3", "op=softmax,n=2,c=10,h=3,w=2",
                      "op=resize,function=nearest,n=2,c=5,h=6,w=7,out_h=12,out_w=14",
                      "op=resize,function=linear,n=2,c=5,h=6,w=7,out_h=13,out_w=9", "op=batch_norm,n=2,c=5,h=6,w=7",
                      "op=copy,n=2,c=5,h=6,w=7"));

}  // namespace
}  // namespace convlat::agent
