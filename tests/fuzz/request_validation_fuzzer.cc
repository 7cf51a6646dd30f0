// libFuzzer target: arbitrary bytes decoded as the requests agents and clients send
// (MeasurementBatch, PredictRequest, Platform) through the server's validation. It must answer
// every input without crashing; whatever it accepts must resolve to a convolution the model can
// take (positive output size). Run with scripts/fuzz.sh requests.
#include <cstddef>
#include <cstdint>

#include "convlat/v1/latency.pb.h"
#include "convlat/v1/profiler.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "model/layers/conv_shape.h"
#include "server/request_validation.h"

namespace {

void CheckAccepted(const convlat::v1::ConvParams& params) {
  const convlat::model::ConvShape shape = convlat::model::ResolveConvShape(params);
  if (shape.p() <= 0 || shape.q() <= 0 || shape.c % shape.groups != 0 || shape.k % shape.groups != 0) {
    __builtin_trap();
  }
}

}  // namespace

// Invalid UTF-8 in string fields is the fuzzer's daily bread; protobuf's log line for each is noise.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  convlat::v1::MeasurementBatch batch;
  if (batch.ParseFromArray(data, static_cast<int>(size)) && convlat::server::ValidateBatch(batch).ok()) {
    for (const convlat::v1::Measurement& m : batch.measurements()) CheckAccepted(m.params());
  }
  convlat::v1::PredictRequest predict;
  if (predict.ParseFromArray(data, static_cast<int>(size)) &&
      convlat::server::ValidateLayers(predict.layers(), "layers").ok()) {
    for (const convlat::v1::ConvParams& layer : predict.layers()) CheckAccepted(layer);
  }
  convlat::v1::Platform platform;
  if (platform.ParseFromArray(data, static_cast<int>(size))) convlat::server::ValidatePlatform(platform).IgnoreError();
  return 0;
}
