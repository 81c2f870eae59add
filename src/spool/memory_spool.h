// MemorySpool: the Spool in memory, with the same semantics as SqliteSpool (FIFO per queue,
// taken marks, max_bytes, "spool is full") but no durability. For tests of the drainer and of
// the tunnel; it can also be told to fail pushes, as a full disk would.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "spool/spool.h"

namespace ferry::spool {

class MemorySpool final : public Spool {
 public:
  // `clock` (not owned, nullptr = the real clock) stamps enqueued_ms.
  explicit MemorySpool(int64_t max_bytes = 1073741824, const base::Clock* clock = nullptr);

  base::Status Push(const std::vector<SpoolRecord>& records) override;
  base::Result<std::vector<SpoolEntry>> Take(const std::string& queue, size_t max) override;
  base::Status Ack(const std::vector<uint64_t>& ids) override;
  void Release(const std::vector<uint64_t>& ids) override;
  base::Result<std::map<std::string, int64_t>> DropOlderThan(int64_t cutoff_ms) override;
  base::Result<SpoolStats> Stats() override;
  bool WouldOverflow(int64_t bytes) override;

  // Test hook: every later Push fails with `status` (e.g. Unavailable("disk full")) and writes
  // nothing, until cleared with std::nullopt.
  void FailPushes(std::optional<base::Status> status);

 private:
  struct Item {
    SpoolEntry entry;
    bool taken = false;
  };

  std::mutex mu_;
  int64_t max_bytes_;
  const base::Clock* clock_;
  std::optional<base::Status> push_error_;
  uint64_t next_id_ = 1;
  int64_t last_enqueued_ms_ = 0;
  int64_t bytes_ = 0;
  std::map<std::string, std::map<uint64_t, Item>> queues_;  // queue → id → entry, oldest first
  std::unordered_map<uint64_t, std::string> queue_of_;
};

}  // namespace ferry::spool
