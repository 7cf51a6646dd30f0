// Picks the backend named by --backend. The cuDNN backend exists only in agents built with
// CUDA/cuDNN, the oneDNN one only in agents built with oneDNN (CONVLAT_HAVE_CUDNN and
// CONVLAT_HAVE_ONEDNN are defined on this file, by profiler_agent/CMakeLists.txt).
#include <new>

#include "absl/strings/str_cat.h"
#include "profiler_agent/backend/conv_backend.h"

#if CONVLAT_HAVE_ONEDNN
#include "profiler_agent/onednn/onednn_backend.h"
#endif

#if CONVLAT_HAVE_CUDNN
#include "profiler_agent/cudnn/cudnn_backend.h"
#endif

namespace convlat::agent {

absl::StatusOr<AlgoSelection> ParseAlgoSelection(absl::string_view name) {
  if (name == "heuristic") return AlgoSelection::kHeuristic;
  if (name == "exhaustive") return AlgoSelection::kExhaustive;
  if (name == "all") return AlgoSelection::kAll;
  return absl::InvalidArgumentError(absl::StrCat("--algo must be heuristic, exhaustive or all, got '", name, "'"));
}

absl::StatusOr<std::unique_ptr<ConvBackend>> MakeBackend(absl::string_view name, const BackendOptions& options) {
  if (name == "cpu" || name == "onednn") {
#if CONVLAT_HAVE_ONEDNN
    try {
      return MakeOneDnnBackend(options.last_level_cache_bytes, options.scrubber_bytes);
    } catch (const std::bad_alloc&) {  // the scrubber's buffer, or the check's larger ones
      return absl::ResourceExhaustedError(absl::StrCat(
          "--backend cpu: no memory for the cache scrubber (--scrubber_bytes ", options.scrubber_bytes,
          ", --last_level_cache_bytes ", options.last_level_cache_bytes, "; it reads twice the cache when not given)"));
    }
#else
    return absl::UnimplementedError(
        "--backend cpu: this agent was built without oneDNN (CONVLAT_WITH_ONEDNN=OFF, a GPU-only bundle); use "
        "--backend cudnn, or an agent built with oneDNN");
#endif
  }
  if (name == "cudnn") {
#if CONVLAT_HAVE_CUDNN
    absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeCudnnBackend(options.algo);
    if (!backend.ok()) {
      return absl::Status(backend.status().code(), absl::StrCat("--backend cudnn: ", backend.status().message()));
    }
    return backend;
#else
    return absl::UnimplementedError(
        "--backend cudnn: this agent was built without CUDA/cuDNN (the CUDA toolkit, cuDNN or CUPTI was not found "
        "at configure time, or CONVLAT_WITH_CUDNN=OFF); rebuild on a machine with them, or use --backend cpu");
#endif
  }
  return absl::InvalidArgumentError(absl::StrCat("--backend must be cpu or cudnn, got '", name, "'"));
}

}  // namespace convlat::agent
