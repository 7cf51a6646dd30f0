// convlat-agent: profiles convolutions on this machine and delivers them to a convlat server.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/secret_file.h"
#include "model/layers/conv_spec.h"
#include "profiler_agent/calibrate_command.h"
#include "profiler_agent/delivery/agent_channel.h"
#include "profiler_agent/delivery/delivery.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"
#include "profiler_agent/import_command.h"
#include "profiler_agent/network_command.h"
#include "profiler_agent/profile_command.h"
#include "profiler_agent/sweep_runner.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "convlat server address");
ABSL_FLAG(std::string, platform, "", "platform name to record under, e.g. jetson-nano");
ABSL_FLAG(std::string, backend, "cpu", "cpu (oneDNN) or cudnn");
ABSL_FLAG(std::string, algo, "heuristic",
          "cudnn: heuristic (cuDNN's top choice), exhaustive (benchmark all, keep the fastest) or all (time every "
          "supported algorithm, one measurement each)");
ABSL_FLAG(std::string, sweep, "quick",
          "quick or default (convolutions and other ops), ops (other ops only), or a file of conv and op specs");
ABSL_FLAG(std::string, spool, "convlat-spool", "directory that keeps measurements until the server has them");
ABSL_FLAG(std::string, agent_id, "", "this agent's id (default: the host name)");
ABSL_FLAG(int32_t, batch_size, 16, "measurements per batch");
ABSL_FLAG(int32_t, max_configs, 0, "measure at most this many configs (0: all)");
ABSL_FLAG(double, push_timeout, 30, "seconds to keep retrying delivery at the end");
ABSL_FLAG(std::string, format, "convlat",
          "import: convlat (docs/measurements-csv.md), neusight or justus (the public CSVs of data/public/)");
ABSL_FLAG(
    int64_t, last_level_cache_bytes, 0,
    "the last-level cache (bytes) one core sees: import: of the machine the file was recorded on, which CSV files "
    "do not say (network predictions need it to use hot timings, hot_median_us; 0: unknown); run --backend cpu: "
    "instead of what this machine reports, for virtual machines whose cpuid reports the socket's L3 (0: as "
    "reported); calibrate: the same, registered with the platform's calibration");
ABSL_FLAG(int64_t, scrubber_bytes, 0,
          "run --backend cpu and calibrate: bytes the cache scrubber reads before each evicted run (0: twice the "
          "last-level cache); checked before timing, and grown when a larger one still finds data cached");
ABSL_FLAG(double, min_time, 0.05, "seconds to time each config at least");
ABSL_FLAG(double, max_time, 1.0, "seconds to time each config at most");
ABSL_FLAG(int32_t, max_remeasurements, 2,
          "measure a config whose spread is too wide (p90/p10 > 3 or median/min > 2) again at most this many "
          "times; still too wide, it is stored flagged noisy (0: flag without re-measuring)");
ABSL_FLAG(bool, second_look, true,
          "time every config once more, briefly, a few configs later, and time it again in full when its first "
          "timing was more than 1.5x slower (a stall through the whole timing, which the spread check cannot see); "
          "about a third more sweep time");
ABSL_FLAG(std::string, token_file, "", "file holding the agent token the server requires (--agent_token_file there)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA certificate file: talk to the server over TLS, verifying it");
ABSL_FLAG(std::string, metrics_file, "",
          "write what this run did (configs, failures, deliveries, spool depth) here in Prometheus text format, "
          "e.g. for node_exporter's textfile collector");
ABSL_FLAG(std::string, layout, "",
          "measure every conv and op of the sweep in this layout: nchw, nhwc, or native (the CPU library's blocked "
          "layout, as optimizing runtimes keep activations); empty: as the sweep says");
ABSL_FLAG(std::string, dtype, "",
          "measure every conv and op of the sweep (run), or every layer of the network (network --backend cudnn), in "
          "this data type: fp32, fp16 or bf16 (fp16/bf16 convolutions with tensor-op math); empty: as the sweep or "
          "network says");
ABSL_FLAG(std::string, math, "",
          "measure every conv of the sweep with this math mode: default or tensor_op (cudnn: CUDNN_TENSOR_OP_MATH); "
          "empty: as the sweep says (fp16/bf16: tensor_op)");
ABSL_FLAG(int32_t, batch, 1, "network: the ONNX network's batch size");
ABSL_FLAG(int32_t, runs, 20, "network, calibrate: timed passes over the whole network");
ABSL_FLAG(std::string, sweep_out, "",
          "network: append the spec of every layer the agent times (convolutions and other ops, as imported) to this "
          "sweep file instead of running the network, so that `run --sweep FILE` measures what it needs");
ABSL_FLAG(std::string, layers_out, "",
          "calibrate: also write every layer (time in the network, evicted and hot alone, hot share) to this CSV");
ABSL_FLAG(bool, remeasure, false,
          "measure the configs the server already has for this platform too; the new measurements supersede the "
          "stored ones, which the server keeps as history");
ABSL_FLAG(std::string, csv_out, "",
          "also append every successful measurement to this CSV (docs/measurements-csv.md), a local record of the run");

namespace {

constexpr char kUsage[] =
    "convlat-agent [run] --platform NAME [--server ADDR] [--backend cpu|cudnn] [--algo heuristic|exhaustive|all]\n"
    "                    [--sweep quick|default|ops|FILE] [--layout nchw|nhwc|native] [--dtype fp32|fp16|bf16]\n"
    "                    [--math default|tensor_op] [--csv_out FILE] [--max_remeasurements 2] [--remeasure]\n"
    "                    [--second_look=false] [--last_level_cache_bytes N] [--scrubber_bytes N]\n"
    "convlat-agent import --platform NAME FILE.csv [--format convlat|neusight|justus] [--server ADDR]\n"
    "                    [--last_level_cache_bytes N]\n"
    "convlat-agent flush [--server ADDR]\n"
    "convlat-agent network NET.onnx [--backend cpu|cudnn] [--batch 1] [--layout nchw|nhwc|native] [--runs 20]\n"
    "                    [--dtype fp32|fp16|bf16] [--algo heuristic|exhaustive]   # a whole network, layer by layer\n"
    "convlat-agent network NET.onnx --sweep_out FILE [--batch 1]   # its layers' specs, as a sweep file\n"
    "convlat-agent calibrate --platform NAME NET.onnx [NET.onnx ...] [--layout nchw|native] [--runs 20]\n"
    "                    [--last_level_cache_bytes N] [--scrubber_bytes N] [--layers_out FILE]   # CPUs: hot gain\n"
    "                                                                          # kept in networks";

std::atomic<bool> stop_requested{false};

std::string DefaultAgentId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host[0] ? host : "agent";
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const std::string command = positional.size() > 1 ? positional[1] : "run";
  signal(SIGINT, [](int) { stop_requested = true; });
  signal(SIGTERM, [](int) { stop_requested = true; });

  convlat::agent::SweepOptions options;
  options.platform = absl::GetFlag(FLAGS_platform);
  options.sweep = absl::GetFlag(FLAGS_sweep);
  options.agent_id = absl::GetFlag(FLAGS_agent_id).empty() ? DefaultAgentId() : absl::GetFlag(FLAGS_agent_id);
  options.batch_size = std::max(1, absl::GetFlag(FLAGS_batch_size));
  options.max_configs = absl::GetFlag(FLAGS_max_configs);
  options.timing.min_seconds = absl::GetFlag(FLAGS_min_time);
  options.timing.max_seconds = absl::GetFlag(FLAGS_max_time);
  options.csv_out = absl::GetFlag(FLAGS_csv_out);
  options.noise.max_remeasurements = absl::GetFlag(FLAGS_max_remeasurements);
  if (options.noise.max_remeasurements < 0) {
    std::cerr << "error: --max_remeasurements must be >= 0, got " << options.noise.max_remeasurements << "\n";
    return 2;
  }
  options.second_look.enabled = absl::GetFlag(FLAGS_second_look);
  options.remeasure = absl::GetFlag(FLAGS_remeasure);
  options.server = absl::GetFlag(FLAGS_server);
  if (const std::string layout = absl::GetFlag(FLAGS_layout); !layout.empty()) {
    absl::StatusOr<convlat::v1::Layout> parsed = convlat::model::ParseLayout(layout);
    if (!parsed.ok()) {
      std::cerr << "error: --layout: " << parsed.status().message() << "\n";
      return 2;
    }
    options.layout = *parsed;
  }
  if (const std::string math = absl::GetFlag(FLAGS_math); !math.empty()) {
    absl::StatusOr<convlat::v1::MathMode> parsed = convlat::model::ParseMathMode(math);
    if (!parsed.ok()) {
      std::cerr << "error: --math: " << parsed.status().message() << "\n";
      return 2;
    }
    options.math_mode = *parsed;
  }

  absl::StatusOr<convlat::v1::DataType> dtype = convlat::agent::ParseDtypeFlag(absl::GetFlag(FLAGS_dtype));
  if (!dtype.ok()) {
    std::cerr << "error: " << dtype.status().message() << "\n" << kUsage << "\n";
    return 2;
  }
  options.dtype = *dtype;

  absl::StatusOr<convlat::agent::AlgoSelection> algo = convlat::agent::ParseAlgoSelection(absl::GetFlag(FLAGS_algo));
  if (!algo.ok()) {
    std::cerr << "error: " << algo.status().message() << "\n" << kUsage << "\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_backend) != "cudnn" && *algo != convlat::agent::AlgoSelection::kHeuristic) {
    spdlog::warn("--algo applies to --backend cudnn only; oneDNN picks its implementation itself");
  }

  const convlat::agent::DeliveryOptions delivery{
      .server = options.server,
      .push_timeout = std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_push_timeout) * 1000)),
      .metrics_file = absl::GetFlag(FLAGS_metrics_file),
      .platform = options.platform};
  absl::StatusOr<convlat::agent::Spool> spool = convlat::agent::Spool::Open(absl::GetFlag(FLAGS_spool));
  if (!spool.ok()) {
    spdlog::error("{}", std::string(spool.status().message()));
    return 1;
  }
  convlat::agent::AgentChannelOptions channel_options{.server = delivery.server};
  for (const auto& [flag, path, into] :
       {std::tuple{"token_file", absl::GetFlag(FLAGS_token_file), &channel_options.token},
        std::tuple{"tls_ca", absl::GetFlag(FLAGS_tls_ca), &channel_options.tls_ca_pem}}) {
    if (path.empty()) continue;
    absl::StatusOr<std::string> content = convlat::ReadSecretFile(path, flag);
    if (!content.ok()) {
      std::cerr << "error: " << content.status().message() << "\n";
      return 2;
    }
    *into = *std::move(content);
  }
  auto channel = convlat::agent::MakeAgentChannel(channel_options);
  convlat::agent::Pusher pusher(channel, *spool, options.agent_id);

  if (absl::GetFlag(FLAGS_last_level_cache_bytes) < 0) {
    std::cerr << "error: --last_level_cache_bytes must be >= 0, got " << absl::GetFlag(FLAGS_last_level_cache_bytes)
              << "\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_scrubber_bytes) < 0) {
    std::cerr << "error: --scrubber_bytes must be >= 0, got " << absl::GetFlag(FLAGS_scrubber_bytes) << "\n";
    return 2;
  }
  if (command == "flush") return convlat::agent::Deliver(pusher, *spool, delivery).ok() ? 0 : 1;
  if (command == "network") {
    if (positional.size() != 3) {
      std::cerr << "error: network takes one ONNX file\n" << kUsage << "\n";
      return 2;
    }
    return convlat::agent::RunNetworkCommand({.onnx_path = positional[2],
                                              .backend = absl::GetFlag(FLAGS_backend),
                                              .layout = options.layout,
                                              .dtype = options.dtype,
                                              .algo = *algo,
                                              .batch = absl::GetFlag(FLAGS_batch),
                                              .runs = absl::GetFlag(FLAGS_runs),
                                              .sweep_out = absl::GetFlag(FLAGS_sweep_out)},
                                             std::cout, std::cerr);
  }
  if (command == "calibrate") {
    return convlat::agent::RunCalibrateCommand(
        {.onnx_paths = std::vector<std::string>(positional.begin() + 2, positional.end()),
         .platform = options.platform,
         .layout = options.layout,
         .runs = absl::GetFlag(FLAGS_runs),
         .last_level_cache_bytes = absl::GetFlag(FLAGS_last_level_cache_bytes),
         .scrubber_bytes = absl::GetFlag(FLAGS_scrubber_bytes),
         .timing = options.timing,
         .noise = options.noise,
         .delivery = delivery,
         .layers_out = absl::GetFlag(FLAGS_layers_out)},
        *spool, pusher, std::cout, std::cerr);
  }
  if (command != "run" && command != "import") {
    std::cerr << "unknown command '" << command << "'\n" << kUsage << "\n";
    return 2;
  }
  if (options.platform.empty()) {
    std::cerr << "error: --platform is required\n" << kUsage << "\n";
    return 2;
  }
  if (command == "import") {
    if (positional.size() != 3) {
      std::cerr << "error: import takes one CSV file\n" << kUsage << "\n";
      return 2;
    }
    return convlat::agent::RunImport(*spool, pusher,
                                     {.path = positional[2],
                                      .format = absl::GetFlag(FLAGS_format),
                                      .platform = options.platform,
                                      .agent_id = options.agent_id,
                                      .batch_size = options.batch_size,
                                      .last_level_cache_bytes = absl::GetFlag(FLAGS_last_level_cache_bytes),
                                      .delivery = delivery});
  }
  return convlat::agent::RunProfile(
      *spool, pusher, channel,
      {.backend = absl::GetFlag(FLAGS_backend),
       .backend_options = {.algo = *algo,
                           .last_level_cache_bytes = absl::GetFlag(FLAGS_last_level_cache_bytes),
                           .scrubber_bytes = absl::GetFlag(FLAGS_scrubber_bytes)},
       .sweep = options,
       .delivery = delivery},
      stop_requested);
}
