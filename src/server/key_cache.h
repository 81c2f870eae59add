// The project keys the ingest endpoints check, held in memory so the I/O threads never run
// SQL. A key that is not cached (a project created by the CLI while the server runs) triggers
// a reload from the store on a worker thread, at most once per kMinReloadInterval.
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

  // The cached entry for `public_key`; on a miss, reloads (rate-limited) and looks again.
  // Blocking on a miss: call on a worker thread.
  std::optional<KeyInfo> Find(const std::string& public_key);
  std::optional<ProjectInfo> FindProject(int64_t id);

 private:
  static constexpr std::chrono::milliseconds kMinReloadInterval{250};

  void ReloadIfStale();

  store::Store& store_;
  std::mutex mu_;
  std::unordered_map<std::string, KeyInfo> keys_;        // guarded by mu_
  std::unordered_map<int64_t, ProjectInfo> projects_;    // guarded by mu_
  std::chrono::steady_clock::time_point last_reload_{};  // guarded by mu_
};

}  // namespace ferry::server
