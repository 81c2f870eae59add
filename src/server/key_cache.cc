#include "server/key_cache.h"

#include "base/log.h"

namespace ferry::server {

base::Status KeyCache::Reload() {
  auto projects = store_.ListProjects();
  if (!projects.ok()) return projects.status();
  std::unordered_map<std::string, KeyInfo> keys;
  std::unordered_map<int64_t, ProjectInfo> by_id;
  for (const auto& p : *projects) {
    ProjectInfo info{p.id, p.slug, p.platform};
    by_id.emplace(p.id, info);
    for (const auto& k : p.keys) keys.emplace(k.public_key, KeyInfo{k, info});
  }
  std::lock_guard lock(mu_);
  keys_ = std::move(keys);
  projects_ = std::move(by_id);
  last_reload_ = std::chrono::steady_clock::now();
  return base::Status::Ok();
}

void KeyCache::ReloadIfStale() {
  {
    std::lock_guard lock(mu_);
    if (std::chrono::steady_clock::now() - last_reload_ < kMinReloadInterval) return;
    last_reload_ = std::chrono::steady_clock::now();
  }
  auto st = Reload();
  if (!st.ok()) {
    base::Log(base::LogLevel::kError, "cannot reload project keys", {{"error", st.detail()}});
  }
}

std::optional<KeyInfo> KeyCache::Find(const std::string& public_key) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mu_);
      if (auto it = keys_.find(public_key); it != keys_.end()) return it->second;
    }
    if (attempt == 0) ReloadIfStale();
  }
  return std::nullopt;
}

std::optional<ProjectInfo> KeyCache::FindProject(int64_t id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mu_);
      if (auto it = projects_.find(id); it != projects_.end()) return it->second;
    }
    if (attempt == 0) ReloadIfStale();
  }
  return std::nullopt;
}

}  // namespace ferry::server
