// Wiring: builds the server, the tunnel and their dependencies from a validated Config and
// runs them until SIGTERM or SIGINT.
#pragma once

#include "base/status.h"
#include "config/config.h"

namespace ferry::server {

// Serves until a termination signal, then stops gracefully: no new connections, in-flight
// requests are answered, and the process returns. Errors: cannot listen, bad TLS trust store,
// invalid tunnel settings.
base::Status Serve(const config::Config& config);

}  // namespace ferry::server
