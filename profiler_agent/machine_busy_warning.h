#pragma once
// Before timing anything, while the agent itself is idle: what else keeps the cores busy will
// disturb the timings, so the user hears it before waiting for work that needs re-doing.

#include "absl/strings/string_view.h"

namespace convlat::agent {

// Samples the cores' busy share for a second, logs it ("before the sweep, 3% of the 2 cores' time
// was busy"; `before_what` names the work) and prints MachineLoadWarning's warning on stderr, which
// ends with `consequence`: what the load does to that work, and what to do.
void WarnIfMachineBusy(absl::string_view before_what, absl::string_view consequence);

}  // namespace convlat::agent
