#pragma once
// The assembled server: store, models, gRPC services, health, reflection and metrics endpoint.
// main.cc parses flags and handles signals; tests start this in-process.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "prometheus/exposer.h"
#include "server/admin_service.h"
#include "server/latency_service.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/profiler_service.h"
#include "server/server_metrics.h"

namespace convlat::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free port
  std::string db = "convlat.db";
  std::string metrics_listen = "127.0.0.1:9464";  // empty disables the metrics endpoint
  // gRPC's own cap on a message, above the 64 MB of an ONNX model (kMaxOnnxModelBytes): a model
  // sent with its weights up to this size reaches the server, which answers how to strip them,
  // instead of gRPC's bare "Received message larger than max". Costs that much memory per call.
  int max_message_bytes = 256 << 20;
  // Agents must send "authorization: Bearer <agent_token>" to write; empty: no check.
  std::string agent_token;
  // How often to look for measurements other replicas stored in a shared store (0: never).
  std::chrono::milliseconds store_sync_interval{0};
  // PEM server certificate and key: TLS on the gRPC port when both are set.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // data/public: seed the public GPU platforms the store lacks before listening (empty: don't).
  std::string seed_public_data;
  std::vector<std::string> seed_platforms;  // which of them (empty: all)
  // Platforms known by their spec alone, registered at start when the store lacks them
  // (builtin_platforms.h; convlat-server's --builtin_platforms defaults to jetson-nano).
  std::vector<std::string> builtin_platforms;
};

class ServerApp {
 public:
  static absl::StatusOr<std::unique_ptr<ServerApp>> Start(const ServerOptions& options);
  ~ServerApp();

  int port() const { return port_; }
  int metrics_port() const;  // 0 when disabled
  ModelRegistry& models() { return *models_; }

  // Stops accepting calls, lets calls in flight finish for up to `grace_seconds`, then stops
  // the model worker. Safe to call more than once.
  void Shutdown(double grace_seconds);
  void Wait();

 private:
  ServerApp() = default;

  ServerMetrics metrics_;
  std::unique_ptr<MeasurementStore> store_;
  std::unique_ptr<ModelRegistry> models_;
  std::unique_ptr<ProfilerServiceImpl> profiler_;
  std::unique_ptr<LatencyServiceImpl> latency_;
  std::unique_ptr<AdminServiceImpl> admin_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace convlat::server
