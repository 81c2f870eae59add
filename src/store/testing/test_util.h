// Helpers shared by the store tests: a temporary directory and event records.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace ferry::store::testing {

// A fresh directory under TMPDIR, removed with its content at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ferry-store-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A 32-hex event id made from `n`.
inline std::string EventId(int n) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%032x", n);
  return buf;
}

inline EventRecord MakeEvent(int64_t project_id, int n, const std::string& hash,
                             int64_t timestamp_ms) {
  EventRecord r;
  r.project_id = project_id;
  r.event_id = EventId(n);
  r.timestamp_ms = timestamp_ms;
  r.received_ms = timestamp_ms;
  r.level = "error";
  r.platform = "python";
  r.release = "1.0";
  r.environment = "production";
  r.message = "message " + std::to_string(n);
  r.title = "Error in " + hash;
  r.culprit = "app.handler";
  r.grouping_hash = hash;
  r.grouping_method = "message";
  r.grouping_components = {"message: " + std::to_string(n)};
  r.tags = {{"environment", "production"}, {"server", "a"}};
  r.payload_json = "{\"event_id\":\"" + r.event_id + "\",\"x\":1.0}";
  return r;
}

// The value of `r`, or a default T after recording a test failure. Returns by value so that a
// range-for over the call is safe (the Result temporary would not outlive the loop).
template <typename T>
T Get(base::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return T{};
  }
  return std::move(r).value();
}

inline std::unique_ptr<Store> OpenOrDie(const std::string& path) {
  auto store = sqlite::OpenSqliteStore(path);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    std::abort();
  }
  return std::move(store).value();
}

}  // namespace ferry::store::testing
