// The project keys the ingest endpoints check, held in memory so the I/O threads never run
// SQL. A key that is not cached (a project created by the CLI while the server runs) makes the
// worker reload from the store before it answers. Reloads are serialized and coalesced: a miss
// waits for the reload in progress, and reloads again only if none finished since the miss.
// Hits reload too once the cache is older than kRefreshInterval, so a key disabled with the CLI
// stops being accepted within that time.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "store/store.h"

namespace ferry::server {

struct ProjectInfo {
  int64_t id = 0;
  std::string slug;
  std::string platform;
};

struct KeyInfo {
  store::ProjectKey key;
  ProjectInfo project;
};

class KeyCache {
 public:
  explicit KeyCache(store::Store& store) : store_(store) {}

  // Reads every project and key. Blocking: call at start-up or on a worker thread.
  base::Status Reload();

  // The cached entry for `public_key`; on a miss, reloads (see above) and looks again.
  // Blocking on a miss: call on a worker thread.
  std::optional<KeyInfo> Find(const std::string& public_key);
  std::optional<ProjectInfo> FindProject(int64_t id);

  // Non-blocking, for the I/O threads: the cached entry, never a reload; nothing while the
  // cache is stale. A miss proves nothing (the key may have been created with the CLI since
  // the last reload): only Find can say a key does not exist.
  std::optional<KeyInfo> Peek(const std::string& public_key);

 private:
  // Reloads unless a reload started after `seen_started` was read (reloads are serialized,
  // so holding reload_mu_ means that one has finished). A reload that was already running at
  // the miss does not count: it may have read the store before the key was created.
  void ReloadSince(uint64_t seen_started);

  static constexpr std::chrono::seconds kRefreshInterval{5};

  // True when the last reload started more than kRefreshInterval ago. REQUIRES: mu_ held.
  bool Stale() const { return std::chrono::steady_clock::now() - last_reload_ > kRefreshInterval; }

  store::Store& store_;
  std::mutex reload_mu_;  // serializes reloads
  std::mutex mu_;
  std::unordered_map<std::string, KeyInfo> keys_;      // guarded by mu_
  std::unordered_map<int64_t, ProjectInfo> projects_;  // guarded by mu_
  uint64_t reloads_started_ = 0;                       // guarded by mu_
  std::chrono::steady_clock::time_point last_reload_;  // guarded by mu_
};

}  // namespace ferry::server
