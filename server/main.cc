// convlat-server: stores measurements, fits one model per platform, answers latency queries.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/secret_file.h"
#include "server/server_app.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC address; port 0 picks a free port");
ABSL_FLAG(std::string, db, "convlat.db", "measurement store: a SQLite file path (or sqlite:PATH), or postgresql://...");
ABSL_FLAG(std::string, metrics, "127.0.0.1:9464", "Prometheus /metrics address; empty disables it");
ABSL_FLAG(std::string, agent_token_file, "",
          "file holding the token agents must send to register platforms and push measurements (empty: none)");
ABSL_FLAG(double, store_sync_seconds, 10,
          "how often to look for measurements other replicas stored in a shared (PostgreSQL) store; 0: never");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate file: serve gRPC over TLS (with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key file of --tls_cert");
ABSL_FLAG(std::string, seed_public_data, "",
          "a copy of data/public: before listening, import its public GPU measurements into the platforms the "
          "store lacks (gpu-t4, gpu-v100, gpu-a100, gpu-k40-justus, ...; data/public/README.md)");
ABSL_FLAG(std::vector<std::string>, seed_platforms, {},
          "with --seed_public_data: only these platforms, comma-separated (default: all)");
ABSL_FLAG(std::vector<std::string>, builtin_platforms, {"jetson-nano"},
          "GPUs known by their spec alone, registered at start if the store lacks them and served transferred "
          "predictions until measured (empty: none)");
ABSL_FLAG(std::string, port_file, "",
          "if set, write the gRPC port and the metrics port (one per line) here once listening");

namespace {

bool WritePortFile(const std::string& path, int port, int metrics_port) {
  // Written to a temporary name then renamed, so a reader never sees a half-written file.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << port << "\n" << metrics_port << "\n";
    if (!out) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "convlat-server [--listen ADDR] [--db FILE] [--metrics ADDR] [--seed_public_data data/public]");
  absl::ParseCommandLine(argc, argv);

  // Block the stop signals in every thread; one thread waits for them and shuts down cleanly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  convlat::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.db = absl::GetFlag(FLAGS_db);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics);
  options.seed_public_data = absl::GetFlag(FLAGS_seed_public_data);
  options.seed_platforms = absl::GetFlag(FLAGS_seed_platforms);
  options.builtin_platforms = absl::GetFlag(FLAGS_builtin_platforms);
  if (!options.seed_platforms.empty() && options.seed_public_data.empty()) {
    spdlog::error("convlat-server: --seed_platforms needs --seed_public_data DIR");
    return 2;
  }
  options.store_sync_interval =
      std::chrono::milliseconds(static_cast<int64_t>(1000 * std::max(0.0, absl::GetFlag(FLAGS_store_sync_seconds))));
  for (const auto& [flag, path, into] :
       {std::tuple{"agent_token_file", absl::GetFlag(FLAGS_agent_token_file), &options.agent_token},
        std::tuple{"tls_cert", absl::GetFlag(FLAGS_tls_cert), &options.tls_cert_pem},
        std::tuple{"tls_key", absl::GetFlag(FLAGS_tls_key), &options.tls_key_pem}}) {
    if (path.empty()) continue;
    absl::StatusOr<std::string> content = convlat::ReadSecretFile(path, flag);
    if (!content.ok()) {
      spdlog::error("convlat-server: {}", std::string(content.status().message()));
      return 2;
    }
    *into = *std::move(content);
  }
  absl::StatusOr<std::unique_ptr<convlat::server::ServerApp>> app = convlat::server::ServerApp::Start(options);
  if (!app.ok()) {
    spdlog::error("convlat-server: {}", app.status().ToString());
    return 1;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, (*app)->port(), (*app)->metrics_port())) {
    spdlog::error("cannot write port file {}", port_file);
    return 1;
  }

  std::thread signal_waiter([&app, &stop_signals] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("signal {} received, shutting down", signal);
    (*app)->Shutdown(5.0);
  });
  (*app)->Wait();
  signal_waiter.join();
  return 0;
}
