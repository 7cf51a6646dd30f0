// convlat-client: asks a convlat server for platforms, models and latency predictions.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "client/commands.h"
#include "client/gpu_registration.h"
#include "common/secret_file.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "convlat server address");
ABSL_FLAG(std::string, platform, "", "platform name, e.g. jetson-nano");
ABSL_FLAG(std::string, conv, "", "one layer: n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=1,pad=1");
ABSL_FLAG(std::string, layers, "", "file with one conv spec per line ('#' comments)");
ABSL_FLAG(std::optional<int32_t>, batch, std::nullopt, "query: the batch size instead of the network's own (>= 1)");
ABSL_FLAG(std::string, layout, "",
          "query: every layer in this layout, nchw, nhwc or native (what an optimizing CPU runtime keeps); "
          "empty: as the network says");
ABSL_FLAG(std::vector<std::string>, input, {},
          "query: shapes of the ONNX model's inputs, NAME=NxCxHxW, comma-separated (fixes dynamic dimensions)");
ABSL_FLAG(std::string, format, "table", "output: table, json or csv");
ABSL_FLAG(double, timeout, 30, "seconds to wait for the server");
ABSL_FLAG(std::string, before, "",
          "retire: measurements measured before this RFC 3339 time, e.g. 2026-11-30T12:00:00Z");
ABSL_FLAG(bool, yes, false, "retire, remove-platform, purge: do it (without: say what would change, change nothing)");
ABSL_FLAG(std::string, token_file, "",
          "file holding the agent token the server requires for admin calls (its --agent_token_file)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA certificate file: talk to the server over TLS, verifying it");
ABSL_FLAG(std::string, device, "",
          "register-gpu: the GPU's name, e.g. 'NVIDIA H100 PCIe' (its figures from the table)");
ABSL_FLAG(int32_t, sms, 0, "register-gpu: streaming multiprocessors (0: from the GPU table)");
ABSL_FLAG(double, clock_mhz, 0, "register-gpu: maximum SM clock in MHz (0: from the GPU table)");
ABSL_FLAG(double, bandwidth_gbps, 0, "register-gpu: peak DRAM bandwidth in GB/s (0: from the GPU table)");
ABSL_FLAG(std::string, compute_capability, "", "register-gpu: e.g. 8.6 (empty: from the GPU table)");
ABSL_FLAG(double, memory_gb, 0, "register-gpu: device memory in GiB (0: from the GPU table)");
ABSL_FLAG(double, l2_mb, 0, "register-gpu: L2 cache in MiB (0: from the GPU table)");

namespace {

constexpr char kUsage[] =
    "convlat-client [--server ADDR] COMMAND ...\n"
    "  platforms                                   list platforms and their models\n"
    "  predict --platform P --conv SPEC [SPEC...]  predict layers: conv specs, op=... specs (or --layers FILE)\n"
    "  model P (or --platform P)                   show the platform's fitted model\n"
    "  query NET.onnx --platform P [--batch N] [--input NAME=1x3x224x224] [--layout native]\n"
    "                                            predict a whole network (or --layers FILE of conv and op specs)\n"
    "  retire --platform P --before 2026-11-30T12:00:00Z [--yes]\n"
    "                                            retire P's measurements made before then (kept until purged)\n"
    "  remove-platform P [--yes]                   retire all of P's measurements and remove P (kept until purged)\n"
    "  purge P [--yes]                             delete P's retired and superseded measurements (a removed P too)\n"
    "                                            admin commands: --token_file F; without --yes they change nothing\n"
    "  register-gpu P --device 'NVIDIA H100 PCIe' [--sms N --clock_mhz F --bandwidth_gbps F --compute_capability X.Y]\n"
    "                                            a GPU nobody profiled, from its spec: predicted by transfer\n"
    "Options: --format table|json|csv, --timeout SECONDS";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  const std::string command = positional[1];
  std::vector<std::string> arguments(positional.begin() + 2, positional.end());

  convlat::client::CommandContext context;
  context.out = &std::cout;
  context.err = &std::cerr;
  context.timeout = std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_timeout) * 1000));
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "json") {
    context.format = convlat::client::OutputFormat::kJson;
  } else if (format == "csv") {
    context.format = convlat::client::OutputFormat::kCsv;
  } else if (format != "table") {
    std::cerr << "error: --format must be table, json or csv, got '" << format << "'\n";
    return 2;
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (const std::string ca = absl::GetFlag(FLAGS_tls_ca); !ca.empty()) {
    absl::StatusOr<std::string> pem = convlat::ReadSecretFile(ca, "tls_ca");
    if (!pem.ok()) {
      std::cerr << "error: " << pem.status().message() << "\n";
      return 2;
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = *pem;
    credentials = grpc::SslCredentials(tls);
  }
  if (const std::string token_file = absl::GetFlag(FLAGS_token_file); !token_file.empty()) {
    absl::StatusOr<std::string> token = convlat::ReadSecretFile(token_file, "token_file");
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return 2;
    }
    context.token = *std::move(token);
  }
  context.channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), credentials, channel_args);
  const std::string platform = absl::GetFlag(FLAGS_platform);
  // Commands about one platform take it as --platform P or, as register-gpu and remove-platform
  // do, as their one argument: `convlat-client model my-gpu` is what a user types after
  // `register-gpu my-gpu`. nullopt (after saying why) when both disagree or more are given.
  auto one_platform = [&](const std::string& name) -> std::optional<std::string> {
    if (arguments.empty()) return platform;
    if (arguments.size() > 1 || (!platform.empty() && platform != arguments[0])) {
      std::cerr << "error: " << name << " takes one platform name (as --platform P or as its argument)\n";
      return std::nullopt;
    }
    return arguments[0];
  };

  if (command == "platforms") return convlat::client::ListPlatformsCommand(context);
  if (command == "model") {
    const std::optional<std::string> named = one_platform("model");
    return named ? convlat::client::ShowModelCommand(context, *named) : 2;
  }
  if (command == "predict") {
    std::vector<std::string> specs = arguments;
    if (!absl::GetFlag(FLAGS_conv).empty()) specs.insert(specs.begin(), absl::GetFlag(FLAGS_conv));
    return convlat::client::PredictCommand(context, platform, specs, absl::GetFlag(FLAGS_layers));
  }
  if (command == "query") {
    const std::string layers = absl::GetFlag(FLAGS_layers);
    if (arguments.size() != (layers.empty() ? 1u : 0u)) {
      std::cerr << "error: query takes one ONNX file, or --layers FILE\n";
      return 2;
    }
    if (!absl::GetFlag(FLAGS_conv).empty()) {  // it would be left out of the answer without a word
      std::cerr << "error: --conv is predict's flag (one layer); query answers the network of its ONNX file or "
                   "--layers FILE\n";
      return 2;
    }
    return convlat::client::QueryNetworkCommand(context, {.platform = platform,
                                                          .onnx_path = layers.empty() ? arguments[0] : "",
                                                          .layers_file = layers,
                                                          .batch = absl::GetFlag(FLAGS_batch),
                                                          .inputs = absl::GetFlag(FLAGS_input),
                                                          .layout = absl::GetFlag(FLAGS_layout)});
  }
  const bool yes = absl::GetFlag(FLAGS_yes);
  if (command == "retire") return convlat::client::RetireCommand(context, platform, absl::GetFlag(FLAGS_before), yes);
  if (command == "purge") {
    const std::optional<std::string> named = one_platform("purge");
    return named ? convlat::client::PurgeCommand(context, *named, yes) : 2;
  }
  if (command == "remove-platform") {
    const std::optional<std::string> named = one_platform("remove-platform");
    return named ? convlat::client::RemovePlatformCommand(context, *named, yes) : 2;
  }
  if (command == "register-gpu") {
    const std::optional<std::string> named = one_platform("register-gpu");
    if (!named) return 2;
    return convlat::client::RegisterGpuCommand(context, {.platform = *named,
                                                         .device = absl::GetFlag(FLAGS_device),
                                                         .sms = absl::GetFlag(FLAGS_sms),
                                                         .clock_mhz = absl::GetFlag(FLAGS_clock_mhz),
                                                         .bandwidth_gbps = absl::GetFlag(FLAGS_bandwidth_gbps),
                                                         .compute_capability = absl::GetFlag(FLAGS_compute_capability),
                                                         .memory_gb = absl::GetFlag(FLAGS_memory_gb),
                                                         .l2_mb = absl::GetFlag(FLAGS_l2_mb)});
  }
  std::cerr << "error: unknown command '" << command << "'\n" << kUsage << "\n";
  return 2;
}
