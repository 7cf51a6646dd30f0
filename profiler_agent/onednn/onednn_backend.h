#pragma once
// The CPU backend: real oneDNN convolutions, set up the way frameworks run them.

#include <memory>

#include "profiler_agent/backend/conv_backend.h"

namespace convlat::agent {

std::unique_ptr<ConvBackend> MakeOneDnnBackend();

}  // namespace convlat::agent
