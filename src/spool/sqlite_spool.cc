#include "spool/sqlite_spool.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "base/log.h"

namespace ferry::spool {
namespace {

// Schema migrations, by version: step i takes user_version i to i + 1. Append, never edit.
// AUTOINCREMENT (not a plain rowid) so that ids are never reused, even once the spool empties:
// a drainer may still hold an old id when the entry is dropped.
constexpr const char* kMigrations[] = {
    "CREATE TABLE entries ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  queue TEXT NOT NULL,"
    "  enqueued_ms INTEGER NOT NULL,"
    "  meta BLOB NOT NULL,"
    "  body BLOB NOT NULL,"
    "  size INTEGER NOT NULL);"
    "CREATE INDEX entries_queue_id ON entries(queue, id);",
};
static_assert(std::size(kMigrations) == SqliteSpool::kSchemaVersion);

// Resets a cached statement and clears its bindings when the use ends, on every path.
class Use {
 public:
  explicit Use(sqlite3_stmt* s) : s_(s) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  sqlite3_stmt* operator*() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

int BindBlob(sqlite3_stmt* s, int i, const std::string& bytes) {
  // A zero-length blob must still be non-NULL (the columns are NOT NULL).
  return sqlite3_bind_blob64(s, i, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_STATIC);
}

std::string ColumnBytes(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  int n = sqlite3_column_bytes(s, col);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

}  // namespace

base::Result<std::unique_ptr<SqliteSpool>> OpenSqliteSpool(const std::string& path,
                                                           SpoolOptions options) {
  sqlite3* db = nullptr;
  // NOMUTEX: the spool's own mutex serializes every use of the connection.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string detail = "spool: cannot open " + path + ": " +
                         (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return base::Unavailable(std::move(detail));
  }
  std::unique_ptr<SqliteSpool> spool(new SqliteSpool(db, std::move(options)));
  FERRY_RETURN_IF_ERROR(spool->Init());
  return spool;
}

SqliteSpool::SqliteSpool(sqlite3* db, SpoolOptions options)
    : db_(db), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::RealClock();
}

SqliteSpool::~SqliteSpool() {
  insert_.reset();
  scan_.reset();
  delete_one_.reset();
  oldest_.reset();
  expire_scan_.reset();
  expire_delete_.reset();
  sqlite3_close_v2(db_);
}

base::Status SqliteSpool::Error(int rc, const char* what) {
  std::string detail = std::string(what) + ": " + sqlite3_errmsg(db_);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return base::Unavailable("disk full: spool " + detail);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return base::Unavailable("spool I/O error: " + detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return base::Unavailable("spool is locked (another ferry on the same data_dir?): " + detail);
    default:
      return base::Internal("spool: " + detail);
  }
}

base::Status SqliteSpool::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? base::Status::Ok() : Error(rc, sql);
}

base::Status SqliteSpool::Prepare(const char* sql, Stmt* out) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  out->reset(s);
  return base::Status::Ok();
}

void SqliteSpool::RollbackIfOpen() {
  // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, ...); rolling back
  // again would fail, so ask first.
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

base::Status SqliteSpool::Init() {
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  // EXCLUSIVE before WAL: the wal-index then lives in heap memory (no -shm file), and one
  // process owns the spool, which the in-memory taken marks and totals require.
  FERRY_RETURN_IF_ERROR(Exec("PRAGMA locking_mode=EXCLUSIVE"));
  FERRY_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  FERRY_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  // Deleted envelopes need not be overwritten with zeros (some builds default to it): that
  // doubles the writes of every ack and, on a full disk, keeps acks from ever fitting.
  FERRY_RETURN_IF_ERROR(Exec("PRAGMA secure_delete=OFF"));
  FERRY_RETURN_IF_ERROR(Exec("PRAGMA journal_size_limit=67108864"));
  std::string autockpt =
      "PRAGMA wal_autocheckpoint=" + std::to_string(options_.wal_autocheckpoint_pages);
  FERRY_RETURN_IF_ERROR(Exec(autockpt.c_str()));

  // Take the exclusive lock now, so a second process fails at open and not at its first Push.
  FERRY_RETURN_IF_ERROR(Exec("BEGIN EXCLUSIVE"));
  int version = 0;
  {
    Stmt s;
    base::Status st = Prepare("PRAGMA user_version", &s);
    if (st.ok() && sqlite3_step(s.get()) == SQLITE_ROW) version = sqlite3_column_int(s.get(), 0);
    if (!st.ok()) {
      RollbackIfOpen();
      return st;
    }
  }
  if (version > kSchemaVersion) {
    RollbackIfOpen();
    return base::Internal("spool: schema version " + std::to_string(version) +
                          " is newer than this ferry supports (" + std::to_string(kSchemaVersion) +
                          ")");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    std::string sql = std::string(kMigrations[v]) + "PRAGMA user_version=" + std::to_string(v + 1);
    base::Status st = Exec(sql.c_str());
    if (!st.ok()) {
      RollbackIfOpen();
      return st;
    }
  }
  FERRY_RETURN_IF_ERROR(Exec("COMMIT"));

  FERRY_RETURN_IF_ERROR(Prepare(
      "INSERT INTO entries(queue, enqueued_ms, meta, body, size) VALUES(?1, ?2, ?3, ?4, ?5)",
      &insert_));
  FERRY_RETURN_IF_ERROR(Prepare(
      "SELECT id, enqueued_ms, meta, body FROM entries WHERE queue = ?1 AND id >= ?2 ORDER BY id",
      &scan_));
  FERRY_RETURN_IF_ERROR(
      Prepare("DELETE FROM entries WHERE id = ?1 RETURNING queue, size", &delete_one_));
  FERRY_RETURN_IF_ERROR(
      Prepare("SELECT enqueued_ms FROM entries WHERE queue = ?1 ORDER BY id LIMIT 1", &oldest_));
  FERRY_RETURN_IF_ERROR(
      Prepare("SELECT id, queue, size, enqueued_ms FROM entries ORDER BY id", &expire_scan_));
  FERRY_RETURN_IF_ERROR(Prepare("DELETE FROM entries WHERE id <= ?1", &expire_delete_));

  // Recompute the totals: one pass over the table, once per start.
  Stmt totals;
  FERRY_RETURN_IF_ERROR(
      Prepare("SELECT queue, count(*), sum(size) FROM entries GROUP BY queue", &totals));
  int rc;
  while ((rc = sqlite3_step(totals.get())) == SQLITE_ROW) {
    std::string name(reinterpret_cast<const char*>(sqlite3_column_text(totals.get(), 0)));
    QueueState& q = queues_[name];
    q.entries = sqlite3_column_int64(totals.get(), 1);
    q.bytes = sqlite3_column_int64(totals.get(), 2);
    q.oldest_known = false;
    total_entries_ += q.entries;
    total_bytes_ += q.bytes;
  }
  if (rc != SQLITE_DONE) return Error(rc, "recomputing totals");
  for (auto& [name, q] : queues_) FERRY_RETURN_IF_ERROR(RefreshOldest(name, &q));

  Stmt last;
  FERRY_RETURN_IF_ERROR(Prepare("SELECT enqueued_ms FROM entries ORDER BY id DESC LIMIT 1", &last));
  rc = sqlite3_step(last.get());
  if (rc == SQLITE_ROW)
    last_enqueued_ms_ = sqlite3_column_int64(last.get(), 0);
  else if (rc != SQLITE_DONE)
    return Error(rc, "reading the newest entry");

  base::Log(base::LogLevel::kInfo, "spool_opened",
            {{"entries", total_entries_}, {"bytes", total_bytes_.load()}});
  return base::Status::Ok();
}

base::Status SqliteSpool::RefreshOldest(const std::string& name, QueueState* q) {
  Use s(oldest_.get());
  sqlite3_bind_text(*s, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  int rc = sqlite3_step(*s);
  if (rc == SQLITE_ROW) {
    q->oldest_ms = sqlite3_column_int64(*s, 0);
  } else if (rc == SQLITE_DONE) {
    q->oldest_ms = 0;
  } else {
    return Error(rc, "reading the oldest entry");
  }
  q->oldest_known = true;
  return base::Status::Ok();
}

base::Status SqliteSpool::Push(const std::vector<SpoolRecord>& records) {
  if (records.empty()) return base::Status::Ok();
  int64_t added = 0;
  for (const SpoolRecord& r : records) {
    added += static_cast<int64_t>(r.meta.size() + r.body.size());
  }
  std::lock_guard lock(mu_);
  if (total_bytes_.load() + added > options_.max_bytes) {
    return base::Unavailable("spool is full");
  }
  // Never decreasing in id order (the clock may step back): DropOlderThan relies on it.
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       options_.clock->Now().time_since_epoch())
                       .count();
  int64_t enqueued_ms = std::max(now_ms, last_enqueued_ms_);

  FERRY_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  for (const SpoolRecord& r : records) {
    Use s(insert_.get());
    sqlite3_bind_text(*s, 1, r.queue.data(), static_cast<int>(r.queue.size()), SQLITE_STATIC);
    sqlite3_bind_int64(*s, 2, enqueued_ms);
    BindBlob(*s, 3, r.meta);
    BindBlob(*s, 4, r.body);
    sqlite3_bind_int64(*s, 5, static_cast<int64_t>(r.meta.size() + r.body.size()));
    int rc = sqlite3_step(*s);
    if (rc != SQLITE_DONE) {
      base::Status st = Error(rc, "pushing");
      RollbackIfOpen();
      return st;
    }
  }
  int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    base::Status st = Error(rc, "committing a push");
    RollbackIfOpen();
    return st;
  }
  // Committed and synced: only now do the totals count it.
  last_enqueued_ms_ = enqueued_ms;
  for (const SpoolRecord& r : records) {
    QueueState& q = queues_[r.queue];
    if (q.entries == 0) {
      q.oldest_ms = enqueued_ms;
      q.oldest_known = true;
    }
    q.entries += 1;
    q.bytes += static_cast<int64_t>(r.meta.size() + r.body.size());
  }
  total_entries_ += static_cast<int64_t>(records.size());
  total_bytes_ += added;
  return base::Status::Ok();
}

base::Result<std::vector<SpoolEntry>> SqliteSpool::Take(const std::string& queue, size_t max) {
  std::vector<SpoolEntry> out;
  std::lock_guard lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end() || max == 0) return out;
  QueueState& q = it->second;
  if (q.entries - static_cast<int64_t>(q.taken) <= 0) return out;

  Use s(scan_.get());
  sqlite3_bind_text(*s, 1, queue.data(), static_cast<int>(queue.size()), SQLITE_STATIC);
  sqlite3_bind_int64(*s, 2, static_cast<int64_t>(q.floor));
  uint64_t last_seen = 0;
  bool seen_any = false;
  int rc = SQLITE_DONE;
  while (out.size() < max && (rc = sqlite3_step(*s)) == SQLITE_ROW) {
    uint64_t id = static_cast<uint64_t>(sqlite3_column_int64(*s, 0));
    last_seen = id;
    seen_any = true;
    if (taken_.count(id) != 0) continue;  // in flight: its blobs are never read
    SpoolEntry e;
    e.id = id;
    e.enqueued_ms = sqlite3_column_int64(*s, 1);
    e.record.queue = queue;
    e.record.meta = ColumnBytes(*s, 2);
    e.record.body = ColumnBytes(*s, 3);
    out.push_back(std::move(e));
  }
  if (out.size() < max && rc != SQLITE_DONE) return Error(rc, "taking");
  for (const SpoolEntry& e : out) taken_.emplace(e.id, &q);
  q.taken += out.size();
  // Every row seen is now taken, so the next scan can start after the last one.
  if (seen_any) q.floor = last_seen + 1;
  return out;
}

base::Status SqliteSpool::Ack(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return base::Status::Ok();
  std::lock_guard lock(mu_);
  FERRY_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  std::vector<std::pair<std::string, int64_t>> removed;  // queue, size
  for (uint64_t id : ids) {
    Use s(delete_one_.get());
    sqlite3_bind_int64(*s, 1, static_cast<int64_t>(id));
    int rc = sqlite3_step(*s);
    if (rc == SQLITE_ROW) {
      removed.emplace_back(ColumnBytes(*s, 0), sqlite3_column_int64(*s, 1));
      rc = sqlite3_step(*s);
    }
    if (rc != SQLITE_DONE) {
      base::Status st = Error(rc, "acknowledging");
      RollbackIfOpen();
      return st;
    }
  }
  int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    base::Status st = Error(rc, "committing an ack");
    RollbackIfOpen();
    return st;
  }
  for (uint64_t id : ids) {
    auto t = taken_.find(id);
    if (t == taken_.end()) continue;
    t->second->taken -= 1;
    taken_.erase(t);
  }
  for (const auto& [name, size] : removed) {
    QueueState& q = queues_[name];
    q.entries -= 1;
    q.bytes -= size;
    q.oldest_known = false;
    total_entries_ -= 1;
    total_bytes_ -= size;
  }
  return base::Status::Ok();
}

void SqliteSpool::Release(const std::vector<uint64_t>& ids) {
  std::lock_guard lock(mu_);
  for (uint64_t id : ids) {
    auto t = taken_.find(id);
    if (t == taken_.end()) continue;
    QueueState* q = t->second;
    q->taken -= 1;
    q->floor = std::min(q->floor, id);
    taken_.erase(t);
  }
}

base::Result<std::map<std::string, int64_t>> SqliteSpool::DropOlderThan(int64_t cutoff_ms) {
  std::map<std::string, int64_t> dropped;
  std::lock_guard lock(mu_);
  FERRY_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  // enqueued_ms never decreases in id order, so the expired entries are a prefix of the table:
  // read it up to the first live entry, then delete the prefix in one statement.
  struct Gone {
    uint64_t id;
    std::string queue;
    int64_t size;
  };
  std::vector<Gone> gone;
  int rc = SQLITE_DONE;
  {
    Use s(expire_scan_.get());
    while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
      if (sqlite3_column_int64(*s, 3) >= cutoff_ms) {
        rc = SQLITE_DONE;
        break;
      }
      gone.push_back({static_cast<uint64_t>(sqlite3_column_int64(*s, 0)), ColumnBytes(*s, 1),
                      sqlite3_column_int64(*s, 2)});
    }
  }
  if (rc == SQLITE_DONE && !gone.empty()) {
    Use d(expire_delete_.get());
    sqlite3_bind_int64(*d, 1, static_cast<int64_t>(gone.back().id));
    rc = sqlite3_step(*d);
  }
  if (rc == SQLITE_DONE) rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    base::Status st = Error(rc, "dropping expired entries");
    RollbackIfOpen();
    return st;
  }
  for (const Gone& g : gone) {
    QueueState& q = queues_[g.queue];
    auto t = taken_.find(g.id);
    if (t != taken_.end()) {
      q.taken -= 1;
      taken_.erase(t);
    }
    q.entries -= 1;
    q.bytes -= g.size;
    q.oldest_known = false;
    total_entries_ -= 1;
    total_bytes_ -= g.size;
    dropped[g.queue] += 1;
  }
  return dropped;
}

base::Result<SpoolStats> SqliteSpool::Stats() {
  SpoolStats stats;
  std::lock_guard lock(mu_);
  for (auto& [name, q] : queues_) {
    if (q.entries == 0) continue;
    if (!q.oldest_known) FERRY_RETURN_IF_ERROR(RefreshOldest(name, &q));
    stats.queues[name] = QueueStats{q.entries, q.bytes, q.oldest_ms};
    if (stats.oldest_ms == 0 || q.oldest_ms < stats.oldest_ms) stats.oldest_ms = q.oldest_ms;
  }
  stats.entries = total_entries_;
  stats.bytes = total_bytes_.load();
  return stats;
}

bool SqliteSpool::WouldOverflow(int64_t bytes) {
  return total_bytes_.load() + bytes > options_.max_bytes;
}

}  // namespace ferry::spool
