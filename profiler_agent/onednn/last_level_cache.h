#pragma once
// The size of the last-level cache a core of this machine sees: what the cache scrubber must
// evict, and what the platform reports so that network predictions can tell which layers find
// their weights and inputs still cached.

#include <cstdint>
#include <optional>
#include <string>

namespace convlat::agent {

// The largest unified or data cache in `cache_dir` (a sysfs folder such as
// /sys/devices/system/cpu/cpu0/cache, with index*/level, type and size such as "32768K"), in
// bytes; 0 when the folder lists none.
int64_t LastLevelCacheFromSysfs(const std::string& cache_dir);

// A last-level cache size and where it was read.
struct LastLevelCache {
  int64_t bytes = 0;  // 0: nothing said
  enum class Source { kNone, kSysfs, kCpuid, kUser } source = Source::kNone;
};

// This machine's: sysfs for cpu0 first, then sysconf's L4/L3/L2 sizes (kCpuid: glibc reads them
// from cpuid); bytes 0 when neither says. sysfs comes first because cpuid, on some virtual machines,
// reports the whole socket's L3 (256 MiB on the EPYC VM whose sysfs, like lscpu, says 32 MiB; 508 MiB
// on a Zen 5 VM with no cache folder in its sysfs, whose cores' latency rises past 32 MiB).
LastLevelCache FindLastLevelCache();

// What the agent uses: the user's size when one is given (> 0), else this machine's.
LastLevelCache ChooseLastLevelCache(int64_t user_bytes);

// A warning for the user when the size came from cpuid alone, which a virtual machine may have
// made up: network predictions would then take layers as cached that are not. nullopt otherwise.
std::optional<std::string> LastLevelCacheWarning(const LastLevelCache& cache);

}  // namespace convlat::agent
