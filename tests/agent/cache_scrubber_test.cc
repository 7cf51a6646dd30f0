#include "profiler_agent/onednn/cache_scrubber.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

TEST(CacheScrubberTest, CoversTwiceTheLastLevelCacheAndAtLeast16MiB) {
  CacheScrubber scrubber;
  EXPECT_GE(scrubber.bytes(), size_t{16} << 20);
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (llc > 0) {
    EXPECT_GE(scrubber.bytes(), 2 * static_cast<size_t>(llc));
  }
  scrubber.Scrub();  // and again: the buffer stays usable
  scrubber.Scrub();
}

}  // namespace
}  // namespace convlat::agent
