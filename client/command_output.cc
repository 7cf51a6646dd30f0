#include "client/command_output.h"

#include <chrono>
#include <string>

#include "absl/strings/match.h"
#include "common/status_bridge.h"
#include "google/protobuf/util/json_util.h"
#include "model/onnx/onnx_import.h"

namespace convlat::client {

std::unique_ptr<grpc::ClientContext> NewCallContext(const CommandContext& context) {
  auto call = std::make_unique<grpc::ClientContext>();
  call->set_deadline(std::chrono::system_clock::now() + context.timeout);
  if (!context.token.empty()) call->AddMetadata("authorization", "Bearer " + context.token);
  return call;
}

int ReportRpcError(const CommandContext& context, const grpc::Status& status) {
  // absl spells the code ("NOT_FOUND: ...").
  *context.err << "error: " << FromGrpcStatus(status).ToString() << "\n";
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
      absl::StrContains(status.error_message(), "larger than max")) {
    // gRPC's own cap, hit before the server could say what was too large.
    *context.err << "note: the request is over the server's message size limit; for an ONNX model: "
                 << model::kStripWeightsHint << "\n";
  }
  return kExitFailed;
}

int PrintJson(const CommandContext& context, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    *context.err << "error: cannot render the response as JSON\n";
    return kExitFailed;
  }
  *context.out << json;
  return kExitOk;
}

void PrintTable(const CommandContext& context, const TextTable& table) {
  if (context.format == OutputFormat::kCsv) {
    table.PrintCsv(*context.out);
  } else {
    table.PrintAligned(*context.out);
  }
}

}  // namespace convlat::client
