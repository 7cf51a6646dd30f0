#pragma once
// The size of the last-level cache a core of this machine sees: what the cache scrubber must
// evict, and what the platform reports so that network predictions can tell which layers find
// their weights and inputs still cached.

#include <cstdint>
#include <string>

namespace convlat::agent {

// The largest unified or data cache in `cache_dir` (a sysfs folder such as
// /sys/devices/system/cpu/cpu0/cache, with index*/level, type and size such as "32768K"), in
// bytes; 0 when the folder lists none.
int64_t LastLevelCacheFromSysfs(const std::string& cache_dir);

// This machine's: sysfs for cpu0 first, then sysconf's L4/L3/L2 sizes; 0 when neither says.
// sysfs comes first because glibc's sysconf reports what cpuid says, which on some virtual
// machines is the whole socket's L3 (256 MiB on the EPYC VM whose sysfs, like lscpu, says 32 MiB).
int64_t LastLevelCacheBytes();

}  // namespace convlat::agent
