// `ferry spool status` helpers: reading the running server's spool state over HTTP, and
// printing it.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace ferry::cli {

// Where a serving ferry with a spool writes the address it listens on, inside data_dir.
inline constexpr std::string_view kServeAddressFile = "serve.addr";

// GET /api/ferry/spool/ from the running server (at the address it recorded, else at
// `server.listen`).
base::Result<std::string> FetchSpoolStatus(const config::Config& config);

// Prints the JSON of server::SpoolStatusJson as lines; returns the exit code.
int PrintSpoolStatus(const std::string& path, const std::string& json);

}  // namespace ferry::cli
