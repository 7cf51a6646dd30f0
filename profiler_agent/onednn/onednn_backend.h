#pragma once
// The CPU backend: real oneDNN convolutions, set up the way frameworks run them.

#include <cstdint>
#include <memory>

#include "profiler_agent/backend/conv_backend.h"

namespace convlat::agent {

// `last_level_cache_bytes` > 0 replaces what this machine reports (last_level_cache.h) for the
// cache scrubber and the platform; a size read from cpuid alone is warned about. The scrubber reads
// `scrubber_bytes` when > 0, else twice that cache; it is checked first and made larger when it
// does not evict (eviction_check.h).
std::unique_ptr<ConvBackend> MakeOneDnnBackend(int64_t last_level_cache_bytes = 0, int64_t scrubber_bytes = 0);

}  // namespace convlat::agent
