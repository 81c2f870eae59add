// `ferry spool status` helpers: reading the running server's spool state over HTTP, and
// printing it.
#pragma once

#include <string>

#include "base/status.h"
#include "config/config.h"

namespace ferry::cli {

// GET /api/ferry/spool/ from the server at `server.listen`.
base::Result<std::string> FetchSpoolStatus(const config::Config& config);

// Prints the JSON of server::SpoolStatusJson as lines; returns the exit code.
int PrintSpoolStatus(const std::string& path, const std::string& json);

}  // namespace ferry::cli
