#pragma once
// The client's subcommands. Each prints its result to `out` and returns the process exit code
// (0 success, 1 the server refused or failed, 2 bad usage), printing errors to `err`.

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "grpcpp/channel.h"

namespace convlat::client {

enum class OutputFormat { kTable, kJson, kCsv };

struct CommandContext {
  std::shared_ptr<grpc::Channel> channel;
  std::chrono::milliseconds timeout{30000};
  OutputFormat format = OutputFormat::kTable;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::string token;  // the agent token (--token_file), sent as "authorization: Bearer <token>"; empty: none
};

int ListPlatformsCommand(const CommandContext& context);
// `specs` are conv specs (n=1,c=64,...) or op specs (op=max_pool,...); `layers_file` a sweep-format
// file of more of them.
int PredictCommand(const CommandContext& context, const std::string& platform, const std::vector<std::string>& specs,
                   const std::string& layers_file);
int ShowModelCommand(const CommandContext& context, const std::string& platform);
// A whole network to predict: an ONNX file, or (when `layers_file` is set) an explicit layer list
// of conv and op specs.
struct NetworkQuery {
  std::string platform;
  std::string onnx_path;
  std::string layers_file;
  std::optional<int> batch;         // replaces the network's batch size (must be >= 1); unset: as exported
  std::vector<std::string> inputs;  // ONNX input shapes, NAME=NxCxHxW
  std::string layout;               // nchw, nhwc or native for every layer; empty: as the network says
};
int QueryNetworkCommand(const CommandContext& context, const NetworkQuery& query);

// Admin commands (AdminService; the server wants the agent token when it has one). Without `yes`
// they ask for a dry run, print what would change and return 3, changing nothing.
// `before` is an RFC 3339 time, e.g. 2026-11-30T12:00:00Z.
int RetireCommand(const CommandContext& context, const std::string& platform, const std::string& before, bool yes);
int RemovePlatformCommand(const CommandContext& context, const std::string& platform, bool yes);
int PurgeCommand(const CommandContext& context, const std::string& platform, bool yes);

}  // namespace convlat::client
