#pragma once
// Does the cache scrubber evict this machine's caches? The scrubber reads twice the last-level
// cache the agent was told or found; on a virtual machine that size can be wrong. On the Zen 5 VM
// of data/measurements/cpu-zen5-2core a pointer chase says about 10 MiB, but a scrubber sized for
// that (20 MiB) left a ResNet add's operands cached: timed "evicted" it took 23 µs, after a 64 MiB
// scrub 40 µs, and `convlat-agent calibrate` then found the layers slower inside networks than
// "evicted" (docs/accuracy.md). So before timing anything the agent checks: a small buffer is read,
// the scrubber runs, and the buffer is read again with a pointer chase; then the same after a
// scrubber four times as large. If the larger one leaves the buffer clearly slower to read, the
// scrubber left it cached, and the agent tries the larger one the same way. On that VM 64 MiB was
// not enough either (a 4 MiB buffer read back in 3.8 ms after it, 6.1 ms after 256 MiB), perhaps
// because the scrubber reads on both cores and a core's cache sees only its own half. The check
// runs once, before the timings: on that VM it passed 20 MiB in one run of four, so the caches
// there do not behave alike from one minute to the next, and --scrubber_bytes fixes the size.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convlat::agent {

struct EvictionProbe {
  size_t scrubber_bytes = 0;
  size_t larger_bytes = 0;
  int64_t after_scrubber_ns = 0;  // median lap of the probe buffer right after the scrubber
  int64_t after_larger_ns = 0;    // ... right after the larger scrubber
};

// The scrubber left the probe cached when reading it after the scrubber took less than this share
// of reading it after the larger one. On a quiet machine a scrubber that evicts reads within a few
// percent of the larger one; the margin keeps a busy machine's jitter from growing a good one.
inline constexpr double kEvictedShare = 0.8;
bool LeavesDataCached(const EvictionProbe& probe);

// Times the probe buffer (`probe_bytes`) right after a scrubber of `scrubber_bytes` and right after
// one of `larger_bytes`, in alternating trials, and takes each one's median.
EvictionProbe ProbeEviction(size_t scrubber_bytes, size_t larger_bytes, size_t probe_bytes, int trials = 9);

// The probe buffer for a scrubber of this size: an eighth of it (a quarter of the cache it is sized
// for), within 512 KiB to 4 MiB, so that it stays in the last-level cache when nothing evicts it (a
// cache size that is too large, as cpuid reports on some VMs, still gets a probe a real one holds).
size_t ProbeBytesFor(size_t scrubber_bytes);

// The scrubber larger than `scrubber_bytes` that the check compares against: 4x; none (0) when that
// would pass 1 GiB (256 MiB and more is beyond the cache one core fills on CPUs of today, and the
// memory the check takes must stay modest).
size_t LargerScrubberBytes(size_t scrubber_bytes);

struct ScrubberChoice {
  size_t bytes = 0;
  std::optional<std::string> warning;  // set when the first scrubber tried did not evict
};

// The scrubber size the agent times with on this machine: `scrubber_bytes` (CacheScrubber::BytesFor
// the cache, or the user's --scrubber_bytes) when it evicts, else the first of 4x, 16x, ... (up to
// a GiB) that a larger one does not beat, with a warning naming what it saw.
ScrubberChoice ChooseScrubberBytes(size_t scrubber_bytes);

// The choice for probes already made, each of a scrubber and the 4x larger one, in that order and
// stopping at the first that evicts (ChooseScrubberBytes without the timing); bytes 0 for none.
ScrubberChoice ScrubberChoiceFor(const std::vector<EvictionProbe>& probes);

}  // namespace convlat::agent
