#include "profiler_agent/onednn/last_level_cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace convlat::agent {
namespace {

std::string ReadTrimmed(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return std::string(absl::StripAsciiWhitespace(text));
}

// "32768K", "2M", "512" (bytes) as bytes; 0 when it is none of those.
int64_t ParseCacheSize(absl::string_view text) {
  int64_t scale = 1;
  if (absl::ConsumeSuffix(&text, "K"))
    scale = int64_t{1} << 10;
  else if (absl::ConsumeSuffix(&text, "M"))
    scale = int64_t{1} << 20;
  else if (absl::ConsumeSuffix(&text, "G"))
    scale = int64_t{1} << 30;
  int64_t value = 0;
  return absl::SimpleAtoi(text, &value) && value > 0 ? value * scale : 0;
}

}  // namespace

int64_t LastLevelCacheFromSysfs(const std::string& cache_dir) {
  std::error_code error;
  int best_level = 0;
  int64_t best_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir, error)) {
    if (entry.path().filename().string().rfind("index", 0) != 0) continue;
    if (ReadTrimmed(entry.path() / "type") == "Instruction") continue;
    int level = 0;
    if (!absl::SimpleAtoi(ReadTrimmed(entry.path() / "level"), &level)) continue;
    const int64_t bytes = ParseCacheSize(ReadTrimmed(entry.path() / "size"));
    if (bytes > 0 && (level > best_level || (level == best_level && bytes > best_bytes))) {
      best_level = level;
      best_bytes = bytes;
    }
  }
  return best_bytes;
}

LastLevelCache FindLastLevelCache() {
  if (const int64_t bytes = LastLevelCacheFromSysfs("/sys/devices/system/cpu/cpu0/cache"); bytes > 0) {
    return {.bytes = bytes, .source = LastLevelCache::Source::kSysfs};
  }
  for (int level : {_SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long bytes = sysconf(level);
    if (bytes > 0) return {.bytes = bytes, .source = LastLevelCache::Source::kCpuid};
  }
  return {};
}

LastLevelCache ChooseLastLevelCache(int64_t user_bytes) {
  if (user_bytes > 0) return {.bytes = user_bytes, .source = LastLevelCache::Source::kUser};
  return FindLastLevelCache();
}

std::optional<std::string> LastLevelCacheWarning(const LastLevelCache& cache) {
  if (cache.source != LastLevelCache::Source::kCpuid) return std::nullopt;
  return absl::StrCat(
      "this machine's sysfs lists no caches, so the last-level cache (", cache.bytes >> 20,
      " MiB) comes from cpuid, which on virtual machines is often the whole socket's L3 rather than what one core "
      "shares: network predictions will take layers as cached that are not. If that is not the cache a core of this "
      "machine sees, give the right one with --last_level_cache_bytes (a pointer chase over growing buffers shows "
      "it: its latency per load jumps once the buffer outgrows the cache)");
}

}  // namespace convlat::agent
