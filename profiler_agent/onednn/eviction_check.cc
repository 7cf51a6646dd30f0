#include "profiler_agent/onednn/eviction_check.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "profiler_agent/onednn/cache_scrubber.h"
#include "profiler_agent/onednn/pointer_chase.h"

namespace convlat::agent {
namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kLargestScrubber = size_t{1} << 30;

double MiB(size_t bytes) { return static_cast<double>(bytes) / kMiB; }

}  // namespace

bool LeavesDataCached(const EvictionProbe& probe) {
  return probe.after_larger_ns > 0 &&
         static_cast<double>(probe.after_scrubber_ns) < kEvictedShare * static_cast<double>(probe.after_larger_ns);
}

EvictionProbe ProbeEviction(size_t scrubber_bytes, size_t larger_bytes, size_t probe_bytes, int trials) {
  CacheScrubber scrubber(scrubber_bytes);
  CacheScrubber larger(larger_bytes);
  PointerChase probe(probe_bytes);
  std::vector<int64_t> after_scrubber, after_larger;
  // Alternating, so that a slow phase of the machine falls on both kinds of trial; each starts
  // with a lap that brings the probe into the caches.
  for (int trial = 0; trial < trials; ++trial) {
    probe.TimeOneLap();
    scrubber.Scrub();
    after_scrubber.push_back(probe.TimeOneLap());
    probe.TimeOneLap();
    larger.Scrub();
    after_larger.push_back(probe.TimeOneLap());
  }
  return {.scrubber_bytes = scrubber.bytes(),
          .larger_bytes = larger.bytes(),
          .after_scrubber_ns = MedianNs(std::move(after_scrubber)),
          .after_larger_ns = MedianNs(std::move(after_larger))};
}

size_t ProbeBytesFor(size_t scrubber_bytes) { return std::clamp(scrubber_bytes / 8, kMiB / 2, 4 * kMiB); }

size_t LargerScrubberBytes(size_t scrubber_bytes) {
  return 4 * scrubber_bytes <= kLargestScrubber ? 4 * scrubber_bytes : 0;
}

ScrubberChoice ScrubberChoiceFor(const std::vector<EvictionProbe>& probes) {
  if (probes.empty()) return {};
  const EvictionProbe& first = probes.front();
  if (!LeavesDataCached(first)) return {.bytes = first.scrubber_bytes};
  const EvictionProbe& last = probes.back();
  const bool evicts = !LeavesDataCached(last);
  const size_t chosen = evicts ? last.scrubber_bytes : last.larger_bytes;
  return {.bytes = chosen,
          .warning = absl::StrFormat(
              "the cache scrubber (it reads %.0f MiB) does not evict this machine's caches: a %.1f MiB buffer read "
              "back after it in %.0f µs, after a %.0f MiB scrub in %.0f µs. "
              "Timings \"with the caches evicted\" would be partly hot, so this run scrubs %.0f MiB before each%s",
              MiB(first.scrubber_bytes), MiB(ProbeBytesFor(first.scrubber_bytes)), first.after_scrubber_ns / 1e3,
              MiB(first.larger_bytes), first.after_larger_ns / 1e3, MiB(chosen),
              evicts ? " (a larger scrub reads the buffer no slower)"
                     : absl::StrFormat(" (%.0f MiB still left it cached: %.0f µs against %.0f µs; nothing larger "
                                       "than %.0f MiB is tried)",
                                       MiB(last.scrubber_bytes), last.after_scrubber_ns / 1e3,
                                       last.after_larger_ns / 1e3, MiB(last.larger_bytes)))};
}

ScrubberChoice ChooseScrubberBytes(size_t scrubber_bytes) {
  std::vector<EvictionProbe> probes;
  const size_t probe_bytes = ProbeBytesFor(scrubber_bytes);
  // Four times larger each step while that reads the probe clearly slower, up to a GiB; a
  // scrubber of 256 MiB or more is not checked (LargerScrubberBytes).
  for (size_t bytes = scrubber_bytes; LargerScrubberBytes(bytes) > 0; bytes = LargerScrubberBytes(bytes)) {
    probes.push_back(ProbeEviction(bytes, LargerScrubberBytes(bytes), probe_bytes));
    if (!LeavesDataCached(probes.back())) break;
  }
  if (probes.empty()) return {.bytes = scrubber_bytes};
  return ScrubberChoiceFor(probes);
}

}  // namespace convlat::agent
