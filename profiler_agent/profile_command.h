#pragma once
// `convlat-agent run`: describes this device, plans the sweep with the server, measures it and
// delivers the measurements.

#include <atomic>
#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "profiler_agent/backend/conv_backend.h"
#include "profiler_agent/delivery/delivery.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"
#include "profiler_agent/sweep_runner.h"

namespace convlat::agent {

struct ProfileOptions {
  std::string backend = "cpu";  // see MakeBackend
  BackendOptions backend_options;
  SweepOptions sweep;
  DeliveryOptions delivery;
};

// The process exit code: 0 when everything was measured and delivered, 1 for a failure (what
// was measured stays in the spool), 2 for a backend or sweep that cannot be used, 130 when `stop`
// interrupted the sweep (the next run resumes).
int RunProfile(Spool& spool, Pusher& pusher, const std::shared_ptr<grpc::Channel>& channel,
               const ProfileOptions& options, const std::atomic<bool>& stop);

}  // namespace convlat::agent
