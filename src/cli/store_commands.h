// The CLI commands that work on the built-in store (DESIGN.md §2.1). Each returns the process
// exit code and prints a one-line reason on failure.
#pragma once

#include <string>

#include "config/config.h"

namespace ferry::cli {

int ProjectCreate(const config::Config& config, const std::string& name,
                  const std::string& platform);
int ProjectList(const config::Config& config);
// Refuses (or accepts again) events sent with `public_key`; a running server follows within
// a few seconds.
int SetKeyEnabled(const config::Config& config, const std::string& public_key, bool enabled);
int CreateUser(const config::Config& config, const std::string& email, bool password_stdin,
               bool superuser);
int TokenCreate(const config::Config& config, const std::string& email);
int Backup(const config::Config& config, std::string output, bool config_only);
int Restore(const config::Config& config, const std::string& file, bool force);
// Depth, bytes and oldest age of the tunnel's spool, in total and per upstream queue.
int SpoolStatus(const config::Config& config);

}  // namespace ferry::cli
