#include "server/server_app.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "model/datasets/public_datasets.h"
#include "server/builtin_platforms.h"
#include "server/public_data_seeding.h"
#include "spdlog/spdlog.h"

namespace convlat::server {

absl::StatusOr<std::unique_ptr<ServerApp>> ServerApp::Start(const ServerOptions& options) {
  std::unique_ptr<ServerApp> app(new ServerApp());
  absl::StatusOr<std::unique_ptr<MeasurementStore>> store = OpenMeasurementStore(options.db);
  if (!store.ok()) return store.status();
  app->store_ = std::move(*store);
  app->models_ = std::make_unique<ModelRegistry>(*app->store_, app->metrics_, options.store_sync_interval);
  app->profiler_ =
      std::make_unique<ProfilerServiceImpl>(*app->store_, *app->models_, app->metrics_, AgentAuth(options.agent_token));
  app->latency_ = std::make_unique<LatencyServiceImpl>(*app->store_, *app->models_, app->metrics_);
  app->admin_ =
      std::make_unique<AdminServiceImpl>(*app->store_, *app->models_, app->metrics_, AgentAuth(options.agent_token));
  // Models are fitted in the background, so the server answers at once; a platform whose model
  // is still being fitted answers FAILED_PRECONDITION until it is ready. Queued before seeding,
  // which queues what it stores: a seeded platform is then fitted once, not again after.
  if (absl::Status s = app->models_->RefitAllInBackground(); !s.ok()) return s;
  for (const std::string& name : options.seed_platforms) {  // the flag the user typed is the one named
    if (absl::Status known = model::FindPublicPlatform(name).status(); !known.ok()) {
      return absl::Status(known.code(), absl::StrCat("--seed_platforms: ", known.message()));
    }
  }
  if (!options.seed_public_data.empty()) {
    // Before listening, so that a server that answers lists the platforms (their models follow).
    absl::StatusOr<SeedReport> seeded = SeedPublicPlatforms(*app->store_, *app->models_, app->metrics_,
                                                            options.seed_public_data, options.seed_platforms);
    if (!seeded.ok()) {
      return absl::Status(seeded.status().code(), absl::StrCat("--seed_public_data ", options.seed_public_data, ": ",
                                                               seeded.status().message()));
    }
    spdlog::info("public GPU platforms: {} seeded, {} already present", seeded->seeded.size(), seeded->present.size());
  }
  // After seeding, so that their transfer models are fitted on every seeded GPU.
  if (absl::Status s = RegisterBuiltInPlatforms(*app->store_, *app->models_, options.builtin_platforms); !s.ok()) {
    return s;
  }

  if (!options.metrics_listen.empty()) {
    try {
      app->exposer_ = std::make_unique<prometheus::Exposer>(options.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", options.metrics_listen, ": ", e.what()));
    }
    app->exposer_->RegisterCollectable(app->metrics_.registry());
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and its key");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(options.listen, credentials, &app->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(app->profiler_.get());
  builder.RegisterService(app->latency_.get());
  builder.RegisterService(app->admin_.get());
  app->server_ = builder.BuildAndStart();
  if (!app->server_ || app->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  spdlog::info("convlat-server listening on {} (port {}{}), store {}, metrics {}, agent token {}", options.listen,
               app->port_, options.tls_cert_pem.empty() ? "" : ", TLS", options.db,
               options.metrics_listen.empty() ? "off" : options.metrics_listen,
               options.agent_token.empty() ? "not required" : "required");
  return app;
}

ServerApp::~ServerApp() { Shutdown(1.0); }

int ServerApp::metrics_port() const {
  if (!exposer_) return 0;
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void ServerApp::Shutdown(double grace_seconds) {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000)));
  }
}

void ServerApp::Wait() {
  if (server_) server_->Wait();
}

}  // namespace convlat::server
