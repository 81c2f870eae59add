// SqliteSpool: the Spool on disk, in its own SQLite file (<data_dir>/spool.db).
//
// One connection, guarded by one mutex: Push (worker threads) and Take/Ack/Release (drainers)
// may be called concurrently. Every Push and every Ack is one transaction, committed with
// synchronous=FULL in WAL mode, so Push returns OK only once its records are on stable
// storage. Running totals live in memory (recomputed at open) so that "spool is full" and
// WouldOverflow need no query. "Taken" marks live in memory only: after a restart every
// unacknowledged entry is delivered again (at-least-once). Format and recovery rules:
// docs/spool.md.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "spool/spool.h"

namespace ferry::spool {

struct SpoolOptions {
  int64_t max_bytes = 1073741824;       // spool.max_bytes: meta + body bytes of all entries
  int busy_timeout_ms = 5000;           // how long Open waits for another process holding the file
  int wal_autocheckpoint_pages = 1000;  // SQLite's default; tests lower it to hit checkpoints
  std::string vfs;                      // SQLite VFS name; empty = the default (tests inject one)
  const base::Clock* clock = nullptr;   // nullptr = base::RealClock()
};

class SqliteSpool;

// Opens (creating when missing) the spool at `path` and recomputes the totals. The file is
// locked exclusively for the life of the spool: a second process gets kUnavailable.
// Errors: kUnavailable (locked, I/O), kInternal (corrupt, or a schema newer than this code).
base::Result<std::unique_ptr<SqliteSpool>> OpenSqliteSpool(const std::string& path,
                                                           SpoolOptions options = {});

class SqliteSpool final : public Spool {
 public:
  ~SqliteSpool() override;
  SqliteSpool(const SqliteSpool&) = delete;
  SqliteSpool& operator=(const SqliteSpool&) = delete;

  base::Status Push(const std::vector<SpoolRecord>& records) override;
  base::Result<std::vector<SpoolEntry>> Take(const std::string& queue, size_t max) override;
  base::Status Ack(const std::vector<uint64_t>& ids) override;
  void Release(const std::vector<uint64_t>& ids) override;
  base::Result<std::map<std::string, int64_t>> DropOlderThan(int64_t cutoff_ms) override;
  base::Result<SpoolStats> Stats() override;
  bool WouldOverflow(int64_t bytes) override;

  // The schema version this code writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 1;

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

  // In-memory state of one queue. Invariant: every id of this queue below `floor` is either
  // taken or gone, so Take scans the (queue, id) index from `floor` and rarely meets a taken
  // row; Release lowers `floor` to the released id.
  struct QueueState {
    int64_t entries = 0;
    int64_t bytes = 0;
    int64_t oldest_ms = 0;
    bool oldest_known = true;  // false after a removal: Stats re-reads it from the index
    uint64_t floor = 0;
    size_t taken = 0;
  };

  friend base::Result<std::unique_ptr<SqliteSpool>> OpenSqliteSpool(const std::string& path,
                                                                    SpoolOptions options);

  SqliteSpool(sqlite3* db, SpoolOptions options);
  base::Status Init();
  base::Status Prepare(const char* sql, Stmt* out);
  base::Status Exec(const char* sql);
  base::Status Error(int rc, const char* what);
  void RollbackIfOpen();
  base::Status RefreshOldest(const std::string& name, QueueState* q);

  sqlite3* db_;
  SpoolOptions options_;
  std::mutex mu_;
  std::atomic<int64_t> total_bytes_{0};  // atomic: WouldOverflow must not wait for an fsync
  int64_t total_entries_ = 0;
  int64_t last_enqueued_ms_ = 0;              // enqueued_ms never decreases in id order (see Push)
  std::map<std::string, QueueState> queues_;  // node-stable: taken_ points into it
  std::unordered_map<uint64_t, QueueState*> taken_;  // id → its queue
  Stmt insert_, scan_, delete_one_, oldest_, expire_scan_, expire_delete_;
};

}  // namespace ferry::spool
