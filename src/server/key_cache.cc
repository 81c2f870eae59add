#include "server/key_cache.h"

#include "base/log.h"

namespace ferry::server {

base::Status KeyCache::Reload() {
  {
    std::lock_guard lock(mu_);
    ++reloads_started_;
    last_reload_ = std::chrono::steady_clock::now();
  }
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
  return base::Status::Ok();
}

void KeyCache::ReloadSince(uint64_t seen_started) {
  std::lock_guard reloading(reload_mu_);
  {
    std::lock_guard lock(mu_);
    if (reloads_started_ != seen_started) return;
  }
  auto st = Reload();
  if (!st.ok()) {
    base::Log(base::LogLevel::kError, "cannot reload project keys", {{"error", st.detail()}});
  }
}

std::optional<KeyInfo> KeyCache::Find(const std::string& public_key) {
  uint64_t seen;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(public_key);
    if (it != keys_.end() && !Stale()) return it->second;
    seen = reloads_started_;
  }
  ReloadSince(seen);
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(public_key); it != keys_.end()) return it->second;
  return std::nullopt;
}

std::optional<ProjectInfo> KeyCache::FindProject(int64_t id) {
  uint64_t seen;
  {
    std::lock_guard lock(mu_);
    auto it = projects_.find(id);
    if (it != projects_.end() && !Stale()) return it->second;
    seen = reloads_started_;
  }
  ReloadSince(seen);
  std::lock_guard lock(mu_);
  if (auto it = projects_.find(id); it != projects_.end()) return it->second;
  return std::nullopt;
}

// A stale cache vouches for nothing: what it says of a key (even "disabled") may have changed,
// and only a worker's Find reloads it.
std::optional<KeyInfo> KeyCache::Peek(const std::string& public_key) {
  std::lock_guard lock(mu_);
  if (Stale()) return std::nullopt;
  if (auto it = keys_.find(public_key); it != keys_.end()) return it->second;
  return std::nullopt;
}

}  // namespace ferry::server
