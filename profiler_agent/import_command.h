#pragma once
// `convlat-agent import`: measurements made elsewhere (a CSV file) go through the spool to the
// server like the agent's own.

#include <cstdint>
#include <string>

#include "profiler_agent/delivery/delivery.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"

namespace convlat::agent {

struct ImportOptions {
  std::string path;  // the CSV file
  // convlat (docs/measurements-csv.md), neusight or justus (the public sets of data/public/)
  std::string format = "convlat";
  std::string platform;  // recorded under this name
  std::string agent_id;
  int batch_size = 16;  // measurements per spooled batch
  // The last-level cache of the machine the file was recorded on, which a CSV does not say; the
  // server needs it to place a network's layers between their evicted and hot timings. 0: unknown.
  int64_t last_level_cache_bytes = 0;
  DeliveryOptions delivery;
};

// The process exit code: 0 when everything was delivered, 1 for a failure (the spool keeps what
// was read), 2 for a file that cannot be read or parsed.
int RunImport(Spool& spool, Pusher& pusher, const ImportOptions& options);

}  // namespace convlat::agent
