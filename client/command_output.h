#pragma once
// What every client command shares: exit codes, call contexts, errors, JSON and tables.

#include <memory>

#include "client/commands.h"
#include "client/text_table.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace convlat::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
// An admin command run without --yes: it said what it would change and changed nothing.
inline constexpr int kExitNotConfirmed = 3;

// A call with the context's deadline, carrying the token when the context has one.
std::unique_ptr<grpc::ClientContext> NewCallContext(const CommandContext& context);
// Prints the server's refusal; returns kExitFailed.
int ReportRpcError(const CommandContext& context, const grpc::Status& status);
int PrintJson(const CommandContext& context, const google::protobuf::Message& message);
void PrintTable(const CommandContext& context, const TextTable& table);

}  // namespace convlat::client
