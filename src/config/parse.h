// The steps of ParseConfig, exposed to load.cc and to tests.
#pragma once

#include <string>

#include "base/status.h"
#include "config/config.h"
#include "config/expand.h"
#include "config/yaml_tree.h"

namespace ferry::config::internal {

// Reads the document into `config` (which holds the defaults): rejects unknown keys, expands
// ${VAR} in every scalar value, converts and checks each value on its own. Errors are
// "<key>: <reason> (line N)" without the source.
base::Status ReadConfig(const YamlNode& root, const EnvLookup& env, Config* config);

// Checks that need several keys and fills derived values: listen_host/listen_port, the
// default public_url and sqlite_path, upstream timeouts left at 0. Errors are "<key>: <reason>".
base::Status ValidateConfig(Config* config);

// ParseConfig with an injected environment, so tests need not touch the process's.
base::Result<Config> ParseConfigWithEnv(const std::string& yaml_text, const std::string& source,
                                        const EnvLookup& env);

}  // namespace ferry::config::internal
