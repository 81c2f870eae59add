// Opening the configured store and naming its projects' DSNs; shared by `ferry serve` and the
// CLI commands that work on the store.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "store/store.h"

namespace ferry::server {

// Opens `store.backend` at its configured location (migrating it when needed).
base::Result<std::unique_ptr<store::Store>> OpenConfiguredStore(const config::Config& config);

using store::DsnFor;

// Creates the project "default" when the store has no project yet (the embedded default's
// first start). Returns the project that exists or was made, or nullopt when others exist.
base::Result<std::optional<store::Project>> EnsureDefaultProject(store::Store& store);

}  // namespace ferry::server
