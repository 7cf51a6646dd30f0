#include "profiler_agent/noise/nvml_sm_clock.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace convlat::agent {
namespace {

// The few NVML declarations used, as nvml.h (not shipped with the CUDA toolkit) has them; NVML
// keeps these entry points and values stable across drivers.
using NvmlReturn = int;  // nvmlReturn_t; NVML_SUCCESS is 0
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;  // nvmlClockType_t NVML_CLOCK_SM
using InitFn = NvmlReturn (*)();
using ShutdownFn = NvmlReturn (*)();
using ByPciBusIdFn = NvmlReturn (*)(const char*, NvmlDevice*);
using ClockInfoFn = NvmlReturn (*)(NvmlDevice, int, unsigned int*);
using ErrorStringFn = const char* (*)(NvmlReturn);

}  // namespace

struct NvmlSmClock::Library {
  void* handle = nullptr;
  ShutdownFn shutdown = nullptr;
  ClockInfoFn clock_info = nullptr;
  NvmlDevice device = nullptr;
  bool initialized = false;

  ~Library() {
    if (initialized) shutdown();
    if (handle != nullptr) dlclose(handle);
  }
};

absl::StatusOr<std::unique_ptr<NvmlSmClock>> NvmlSmClock::Open(const std::string& pci_bus_id) {
  auto library = std::make_unique<Library>();
  library->handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library->handle == nullptr) {
    const char* why = dlerror();
    return absl::UnavailableError(absl::StrCat("NVML not loaded: ", why != nullptr ? why : "dlopen failed"));
  }
  auto symbol = [&](const char* name) { return dlsym(library->handle, name); };
  const auto init = reinterpret_cast<InitFn>(symbol("nvmlInit_v2"));
  library->shutdown = reinterpret_cast<ShutdownFn>(symbol("nvmlShutdown"));
  const auto by_bus_id = reinterpret_cast<ByPciBusIdFn>(symbol("nvmlDeviceGetHandleByPciBusId_v2"));
  library->clock_info = reinterpret_cast<ClockInfoFn>(symbol("nvmlDeviceGetClockInfo"));
  const auto error_string = reinterpret_cast<ErrorStringFn>(symbol("nvmlErrorString"));
  if (!init || !library->shutdown || !by_bus_id || !library->clock_info) {
    return absl::UnavailableError("NVML lacks nvmlInit_v2, nvmlDeviceGetHandleByPciBusId_v2 or nvmlDeviceGetClockInfo");
  }
  auto describe = [&](NvmlReturn code) {
    return error_string != nullptr ? std::string(error_string(code)) : absl::StrCat("NVML error ", code);
  };
  if (NvmlReturn rc = init(); rc != kNvmlSuccess) return absl::UnavailableError("nvmlInit: " + describe(rc));
  library->initialized = true;
  if (NvmlReturn rc = by_bus_id(pci_bus_id.c_str(), &library->device); rc != kNvmlSuccess) {
    return absl::UnavailableError(absl::StrCat("NVML has no GPU at PCI bus id ", pci_bus_id, ": ", describe(rc)));
  }
  return std::unique_ptr<NvmlSmClock>(new NvmlSmClock(std::move(library)));
}

NvmlSmClock::NvmlSmClock(std::unique_ptr<Library> library) : library_(std::move(library)) {}
NvmlSmClock::~NvmlSmClock() = default;

int NvmlSmClock::CurrentMhz() const {
  unsigned int mhz = 0;
  if (library_->clock_info(library_->device, kNvmlClockSm, &mhz) != kNvmlSuccess) return 0;
  return static_cast<int>(mhz);
}

}  // namespace convlat::agent
