// Test helpers shared by the spool tests: a temporary directory, a settable clock, records.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/clock.h"
#include "spool/spool.h"

namespace ferry::spool::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spool_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class FakeClock final : public base::Clock {
 public:
  explicit FakeClock(int64_t ms) : ms_(ms) {}
  void SetMs(int64_t ms) { ms_ = ms; }
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }

 private:
  std::atomic<int64_t> ms_;
};

inline SpoolRecord Rec(const std::string& queue, const std::string& body,
                       const std::string& meta = "m") {
  return SpoolRecord{queue, meta, body};
}

inline std::vector<std::string> Bodies(const std::vector<SpoolEntry>& entries) {
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const SpoolEntry& e : entries) out.push_back(e.record.body);
  return out;
}

inline std::vector<uint64_t> Ids(const std::vector<SpoolEntry>& entries) {
  std::vector<uint64_t> out;
  out.reserve(entries.size());
  for (const SpoolEntry& e : entries) out.push_back(e.id);
  return out;
}

}  // namespace ferry::spool::testing
