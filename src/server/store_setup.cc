#include "server/store_setup.h"

#include "store/sqlite/sqlite_store.h"

namespace ferry::server {

base::Result<std::unique_ptr<store::Store>> OpenConfiguredStore(const config::Config& config) {
  if (config.store.backend != "sqlite") {
    return base::Unavailable("store.backend \"" + config.store.backend +
                             "\" is not available yet; use sqlite");
  }
  return store::sqlite::OpenSqliteStore(config.store.sqlite_path);
}

base::Result<std::optional<store::Project>> EnsureDefaultProject(store::Store& store) {
  auto projects = store.ListProjects();
  if (!projects.ok()) return projects.status();
  if (!projects->empty()) {
    for (const auto& p : *projects) {
      if (p.slug == "default") return std::optional<store::Project>(p);
    }
    return std::optional<store::Project>();
  }
  auto created = store.CreateProject("default", "");
  if (!created.ok()) return created.status();
  return std::optional<store::Project>(std::move(*created));
}

}  // namespace ferry::server
