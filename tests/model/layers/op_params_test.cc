#include "model/layers/op_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

v1::OpParams Parse(const std::string& spec) {
  absl::StatusOr<v1::OpParams> op = ParseOpSpec(spec);
  EXPECT_TRUE(op.ok()) << spec << ": " << op.status();
  return op.ok() ? *op : v1::OpParams{};
}

TEST(OpParamsTest, SpecRoundTripsThroughNormalization) {
  for (const std::string spec :
       {"op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1",
        "op=binary,function=mul,n=2,c=96,h=56,w=56,broadcast=1", "op=concat,n=1,c=256,h=28,w=28,inputs=4",
        "op=resize,function=linear,n=1,c=8,h=7,w=9,out_h=14,out_w=18",
        "op=avg_pool,n=1,c=8,h=7,w=9,kernel_h=7,kernel_w=9",
        "op=activation,function=sigmoid,n=1,c=8,h=4,w=4,dtype=bf16", "op=copy,n=1,c=8,h=4,w=4,layout=nhwc"}) {
    v1::OpParams op = Parse(spec);
    ASSERT_TRUE(ValidateOpParams(op, "").ok()) << spec;
    NormalizeOpParams(op);
    EXPECT_EQ(FormatOpSpec(op), spec);
    EXPECT_EQ(FormatOpSpec(Parse(FormatOpSpec(op))), spec);
  }
}

TEST(OpParamsTest, NormalizationFillsTheDocumentedDefaults) {
  v1::OpParams op = Parse("op=activation,n=1,c=8,h=4,w=4");
  NormalizeOpParams(op);
  EXPECT_EQ(op.function(), "relu");
  EXPECT_EQ(op.dtype(), v1::DATA_TYPE_FP32);
  EXPECT_EQ(op.layout(), v1::LAYOUT_NCHW);
  v1::OpParams concat = Parse("op=concat,n=1,c=8,h=4,w=4");
  NormalizeOpParams(concat);
  EXPECT_EQ(concat.inputs(), 2);
  v1::OpParams pool = Parse("op=max_pool,n=1,c=8,h=4,w=4,kernel=2");
  NormalizeOpParams(pool);
  EXPECT_EQ(pool.stride_h(), 1);
  EXPECT_EQ(PooledHeight(pool), 3);
}

TEST(OpParamsTest, ErrorsNameTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {"op=max_pool,n=1,c=8,h=4,w=4", "layers[3].kernel_h and kernel_w are required"},
      {"op=max_pool,n=1,c=8,h=4,w=4,kernel=9", "layers[3].kernel_h (9) is larger than the padded input height"},
      {"op=avg_pool,n=1,c=8,h=4,w=4,kernel=2,pad=2", "layers[3].pad_h and pad_w must be smaller"},
      {"op=activation,function=swish2,n=1,c=8,h=4,w=4", "layers[3].function 'swish2' is not a activation function"},
      {"op=copy,function=relu,n=1,c=8,h=4,w=4", "layers[3].function must be empty for copy"},
      {"op=resize,n=1,c=8,h=4,w=4", "layers[3].out_h and out_w are required for resize"},
      {"op=concat,n=1,c=8,h=4,w=4,inputs=9", "layers[3].inputs (9) must be at most c (8)"},
      {"op=binary,n=1,c=0,h=4,w=4", "layers[3].c must be > 0, got 0"},
      {"op=softmax,n=1,c=4,h=4,w=4,stride_h=-1", "layers[3].stride_h must be >= 0"},
  };
  for (const auto& [spec, message] : cases) {
    const absl::Status status = ValidateOpParams(Parse(spec), "layers[3]");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(status.message(), HasSubstr(message)) << spec;
  }
  v1::OpParams unknown;
  unknown.set_n(1);
  EXPECT_THAT(ValidateOpParams(unknown, "op").message(), HasSubstr("op.kind must be a known op kind"));
  EXPECT_THAT(ParseOpSpec("op=warp,n=1").status().message(), HasSubstr("unknown op 'warp'"));
  EXPECT_THAT(ParseOpSpec("n=1,c=2").status().message(), HasSubstr("needs op=KIND"));
  EXPECT_THAT(ParseOpSpec("op=copy,n=x").status().message(), HasSubstr("value of n is not an integer"));
  EXPECT_THAT(ParseOpSpec("op=copy,k=1").status().message(), HasSubstr("unknown op key 'k'"));
}

TEST(OpParamsTest, WorkCountsEveryTensorOnce) {
  // 1 x 64 x 112 x 112 fp32 max-pooled 3x3/2 to 56 x 56: reads 802,816 elements, writes 200,704.
  const OpWork pool = WorkOf(Parse("op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1,dtype=fp32"));
  EXPECT_DOUBLE_EQ(pool.bytes, (802816.0 + 200704.0) * 4);
  EXPECT_DOUBLE_EQ(pool.flops, 200704.0 * 9);
  // A squeeze-excitation scale reads the activation and one value per channel.
  const OpWork scale = WorkOf(Parse("op=binary,function=mul,n=1,c=96,h=56,w=56,broadcast=1"));
  EXPECT_DOUBLE_EQ(scale.bytes, (2 * 96.0 * 56 * 56 + 96) * 4);
  const OpWork add = WorkOf(Parse("op=binary,n=1,c=96,h=56,w=56,dtype=fp16"));
  EXPECT_DOUBLE_EQ(add.bytes, 3 * 96.0 * 56 * 56 * 2);
  const OpWork resize = WorkOf(Parse("op=resize,function=linear,n=1,c=8,h=7,w=7,out_h=14,out_w=14"));
  EXPECT_DOUBLE_EQ(resize.bytes, (8.0 * 49 + 8.0 * 196) * 4);
  EXPECT_DOUBLE_EQ(resize.flops, 4 * 8.0 * 196);
  EXPECT_DOUBLE_EQ(WorkOf(Parse("op=concat,n=1,c=8,h=4,w=4,inputs=4")).bytes, 2 * 128.0 * 4);
}

}  // namespace
}  // namespace convlat::model
