#include "model/latency/op_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

v1::OpParams Op(v1::OpKind kind, int c, int hw, const std::string& function = "") {
  v1::OpParams op;
  op.set_kind(kind);
  op.set_n(1);
  op.set_c(c);
  op.set_h(hw);
  op.set_w(hw);
  op.set_function(function);
  NormalizeOpParams(op);
  return op;
}

v1::Measurement Measured(const v1::OpParams& op, double us) {
  v1::Measurement m;
  *m.mutable_op() = op;
  m.mutable_latency()->set_median_us(us);
  return m;
}

// Synthetic data (fitting-code unit test): latencies made from known costs, which the fit must
// recover. Relu: 2 µs + bytes at 50 GB/s; sigmoid: 3 µs + bytes at 20 GB/s; copies: 1 µs + 100 GB/s.
std::vector<OpSample> SyntheticSamples() {
  std::vector<v1::Measurement> measurements;
  for (int c : {16, 64, 256}) {
    for (int hw : {7, 14, 28, 56}) {
      const v1::OpParams relu = Op(v1::OP_KIND_ACTIVATION, c, hw, "relu");
      const v1::OpParams sigmoid = Op(v1::OP_KIND_ACTIVATION, c, hw, "sigmoid");
      const v1::OpParams copy = Op(v1::OP_KIND_COPY, c, hw);
      measurements.push_back(Measured(relu, 2 + WorkOf(relu).bytes / 50e3));
      measurements.push_back(Measured(sigmoid, 3 + WorkOf(sigmoid).bytes / 20e3));
      measurements.push_back(Measured(copy, 1 + WorkOf(copy).bytes / 100e3));
    }
  }
  v1::Measurement failed = Measured(Op(v1::OP_KIND_COPY, 8, 8), 0);
  failed.set_failed(true);
  measurements.push_back(failed);
  v1::Measurement conv;
  conv.mutable_params()->set_n(1);
  conv.mutable_latency()->set_median_us(5);
  measurements.push_back(conv);
  return OpSamplesFromMeasurements(measurements);
}

TEST(OpModelTest, SamplesAreTheSuccessfulOpMeasurements) { EXPECT_EQ(SyntheticSamples().size(), 36u); }

TEST(OpModelTest, RecoversTheCostsOfEachKindAndFunction) {
  absl::StatusOr<OpLatencyModel> model = OpLatencyModel::Fit(SyntheticSamples());
  ASSERT_TRUE(model.ok()) << model.status();
  const std::map<std::string, double> p = model->parameters();
  EXPECT_NEAR(p.at("op.activation:relu@nchw.fixed_us"), 2, 1e-6);
  EXPECT_NEAR(p.at("op.activation:relu@nchw.bandwidth_gbps"), 50, 1e-6);
  EXPECT_NEAR(p.at("op.activation:sigmoid@nchw.bandwidth_gbps"), 20, 1e-6);
  EXPECT_NEAR(p.at("op.copy@nchw.bandwidth_gbps"), 100, 1e-6);
  EXPECT_EQ(p.at("op.all.samples"), 36);

  const v1::OpParams unseen_size = Op(v1::OP_KIND_ACTIVATION, 512, 112, "sigmoid");
  const Prediction sigmoid = model->Predict(unseen_size);
  EXPECT_NEAR(sigmoid.latency_us, 3 + WorkOf(unseen_size).bytes / 20e3, 1e-6);
  EXPECT_EQ(sigmoid.explanation.model_kind(), "op-roofline (activation:sigmoid@nchw)");
  EXPECT_GT(sigmoid.explanation.memory_share(), 0.9);
}

TEST(OpModelTest, FallsBackFromFunctionToKindToLayoutToAllOps) {
  absl::StatusOr<OpLatencyModel> model = OpLatencyModel::Fit(SyntheticSamples());
  ASSERT_TRUE(model.ok());
  // No tanh was timed: the activation fit (relu and sigmoid together) answers.
  EXPECT_EQ(model->Predict(Op(v1::OP_KIND_ACTIVATION, 64, 28, "tanh")).explanation.model_kind(),
            "op-roofline (activation@nchw)");
  // No pooling was timed: the fit of every NCHW op answers.
  v1::OpParams pool = Op(v1::OP_KIND_MAX_POOL, 64, 28);
  pool.set_kernel_h(2);
  pool.set_kernel_w(2);
  EXPECT_EQ(model->Predict(pool).explanation.model_kind(), "op-roofline (all@nchw)");
  // Nothing was timed in the native layout: the fit of all ops answers, as for bytes-only layers.
  pool.set_layout(v1::LAYOUT_NATIVE);
  const Prediction pooled = model->Predict(pool);
  EXPECT_EQ(pooled.explanation.model_kind(), "op-roofline (all ops)");
  EXPECT_GT(pooled.latency_us, 0);
  EXPECT_GT(model->PredictWork(1e6, 0).latency_us, model->PredictWork(1e3, 0).latency_us);
}

TEST(OpModelTest, TooFewSamplesIsFailedPrecondition) {
  const std::vector<OpSample> two = {{Op(v1::OP_KIND_COPY, 8, 8), 1.0}, {Op(v1::OP_KIND_COPY, 8, 16), 2.0}};
  const absl::Status status = OpLatencyModel::Fit(two).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("at least 3"));
}

}  // namespace
}  // namespace convlat::model
