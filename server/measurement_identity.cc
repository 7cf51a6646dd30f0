#include "server/measurement_identity.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"

namespace convlat::server {

std::string MeasurementIdentity(const v1::Measurement& m) {
  std::string parameters;
  if (m.has_op()) {
    v1::OpParams op = m.op();
    model::NormalizeOpParams(op);
    parameters = absl::StrCat("op:", absl::BytesToHexString(op.SerializeAsString()));
  } else {
    v1::ConvParams params = m.params();
    model::NormalizeConvParams(params);
    parameters = absl::StrCat("conv:", absl::BytesToHexString(params.SerializeAsString()));
  }
  // Hex keeps the key printable in both stores; the library and kernel names never hold a '|'.
  return absl::StrCat(parameters, "|", m.backend(), "|", m.algorithm(), "|", m.fused_ops());
}

}  // namespace convlat::server
