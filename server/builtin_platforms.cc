#include "server/builtin_platforms.h"

#include "absl/strings/str_cat.h"
#include "model/datasets/gpu_specs.h"
#include "server/platform_registration.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

constexpr BuiltInPlatform kBuiltIn[] = {
    {"jetson-nano", "NVIDIA Jetson Nano"},
};

// Whether the store has the platform in any state, removed and not yet purged included: what an
// admin removed is a decision a restart must not undo.
absl::StatusOr<bool> Held(MeasurementStore& store, const std::string& name) {
  absl::StatusOr<v1::Platform> platform = store.GetPlatform(name);
  if (platform.ok()) return true;
  if (platform.status().code() != absl::StatusCode::kNotFound) return platform.status();
  absl::StatusOr<PurgeResult> removed = store.PurgeRetired(name, /*dry_run=*/true);
  if (removed.status().code() == absl::StatusCode::kNotFound) return false;
  if (!removed.ok()) return removed.status();
  return true;
}

}  // namespace

absl::Span<const BuiltInPlatform> BuiltInPlatforms() { return kBuiltIn; }

absl::Status RegisterBuiltInPlatforms(MeasurementStore& store, ModelRegistry& models,
                                      const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const BuiltInPlatform* entry = nullptr;
    for (const BuiltInPlatform& candidate : kBuiltIn) {
      if (name == candidate.name) entry = &candidate;
    }
    if (entry == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--builtin_platforms: '", name, "' is not a built-in platform (known: jetson-nano)"));
    }
    absl::StatusOr<bool> held = Held(store, name);
    if (!held.ok()) return held.status();
    if (!*held) {
      v1::RegisterPlatformRequest request;
      v1::Platform& platform = *request.mutable_platform();
      platform.set_name(name);
      platform.set_kind(v1::PLATFORM_KIND_GPU);
      platform.set_device_name(entry->device_name);
      platform.set_library("cudnn");  // what an agent on the device would time
      platform.set_spec_only(true);
      model::FillFromGpuSpecTable(platform);
      request.set_agent_id("builtin");
      v1::RegisterPlatformResponse response;
      if (absl::Status s = RegisterPlatform(store, request, response); !s.ok()) return s;
      spdlog::info("built-in platform {} registered from its spec ({}): transferred predictions until measured", name,
                   entry->device_name);
    }
    // Also when present: its sources (seeded just before) may have changed since its last fit.
    models.RequestRefit(name);
  }
  return absl::OkStatus();
}

}  // namespace convlat::server
