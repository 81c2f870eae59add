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

std::string DsnFor(const std::string& public_url, const store::ProjectKey& key) {
  auto scheme_end = public_url.find("://");
  if (scheme_end == std::string::npos) return public_url;
  std::string credentials = key.public_key;
  if (!key.secret.empty()) credentials += ":" + key.secret;
  return public_url.substr(0, scheme_end + 3) + credentials + "@" +
         public_url.substr(scheme_end + 3) + "/" + std::to_string(key.project_id);
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
