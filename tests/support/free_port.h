#pragma once

namespace convlat::testing {

// A loopback TCP port nothing listens on now (the kernel's pick for a socket closed again), for
// servers that need their port on the command line.
int FreePort();

}  // namespace convlat::testing
