// SqliteStore: the Store implementation. Split over sqlite_store.cc (open, projects, users),
// sqlite_events.cc (ingest, queries, retention) and sqlite_backup.cc (export, import, wipe).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace ferry::store::sqlite {

// Read-only connections handed out one per query and returned afterwards.
class ReaderPool {
 public:
  ReaderPool(std::string path, SqliteOptions options) : path_(std::move(path)), options_(options) {}

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // An idle connection, a new one while fewer than max_readers exist, else waits for one.
  base::Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> conn);

  const std::string path_;
  const SqliteOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, SqliteOptions options, std::unique_ptr<Connection> writer)
      : writer_(std::move(writer)), readers_(std::move(path), options) {}
  ~SqliteStore() override;

  // Counts the tags of events stored after issue_tags_upto (a crash lost their counts from
  // memory). Called once by OpenSqliteStore.
  base::Status RecoverTagCounts();

  base::Result<Project> CreateProject(const std::string& name,
                                      const std::string& platform) override;
  base::Result<std::vector<Project>> ListProjects() override;
  base::Result<std::optional<Project>> FindProject(int64_t id) override;
  base::Result<std::optional<Project>> FindProjectBySlug(const std::string& slug) override;
  base::Result<std::optional<ProjectKey>> FindKey(const std::string& public_key) override;
  base::Status SetKeyEnabled(const std::string& public_key, bool enabled) override;

  base::Result<User> CreateUser(const std::string& email, const std::string& password_hash,
                                bool superuser) override;
  base::Result<std::optional<User>> FindUserByEmail(const std::string& email) override;
  base::Result<std::vector<User>> ListUsers() override;
  base::Status AddToken(int64_t user_id, const std::string& token_sha256) override;
  base::Result<std::optional<User>> FindUserByToken(const std::string& token_sha256) override;

  base::Result<std::vector<SaveResult>> SaveEvents(const std::vector<EventRecord>& batch) override;
  base::Status AddItemCounts(const std::vector<ItemCount>& counts) override;

  base::Result<std::vector<Issue>> ListIssues(const IssueQuery& query) override;
  base::Result<std::optional<Issue>> FindIssue(int64_t id) override;
  base::Status SetIssueStatus(int64_t id, IssueStatus status) override;
  base::Result<std::vector<StoredEvent>> ListIssueEvents(int64_t issue_id, int limit,
                                                         int64_t offset) override;
  base::Result<std::optional<StoredEvent>> FindEvent(int64_t project_id,
                                                     const std::string& event_id) override;
  base::Result<std::vector<Attachment>> ListAttachments(int64_t project_id,
                                                        const std::string& event_id) override;
  base::Result<std::vector<TagValueCount>> IssueTagValues(int64_t issue_id, const std::string& key,
                                                          int per_key) override;
  base::Result<std::vector<std::pair<int64_t, int64_t>>> IssueDailyCounts(
      int64_t issue_id, int64_t since_day) override;
  base::Result<std::vector<ItemCount>> ListItemCounts(int64_t project_id) override;

  base::Result<int64_t> DeleteEventsBefore(int64_t cutoff_ms, int batch) override;
  base::Result<int64_t> TrimProjectEvents(int64_t project_id, int64_t keep, int batch) override;
  base::Status CreateSession(int64_t user_id, const std::string& token_sha256,
                             const std::string& csrf, int64_t expires_ms) override;
  base::Result<std::optional<Session>> FindSession(const std::string& token_sha256,
                                                   int64_t now_ms) override;
  base::Status DeleteSession(const std::string& token_sha256) override;
  base::Status DeleteUserSessions(int64_t user_id) override;
  base::Result<bool> HasTagKey(int64_t project_id, const std::string& key) override;
  base::Result<int64_t> CountIssueEvents(int64_t issue_id) override;
  base::Result<ProjectStats> GetProjectStats(int64_t project_id, int64_t now_ms,
                                             int64_t since_day) override;
  base::Result<std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>>> IssuesDailyCounts(
      const std::vector<int64_t>& issue_ids, int64_t since_day) override;
  base::Result<bool> IsEmpty() override;
  base::Status Wipe() override;

  base::Status Export(bool config_only,
                      const std::function<base::Status(const BackupRow&)>& sink) override;
  base::Status Import(
      const std::function<base::Result<std::optional<BackupRow>>()>& next_row) override;

 private:
  // Loads the keys of `project` on `conn`.
  static base::Status LoadKeys(Connection& conn, Project& project);
  static base::Result<std::optional<Project>> QueryProject(Connection& conn,
                                                           const std::string& where,
                                                           const std::string& arg, int64_t id);
  // Saves one record inside the open write transaction; sets *event_row to its row id.
  base::Result<SaveResult> SaveOne(const EventRecord& record, int64_t* event_row);
  struct TagCount {
    int64_t count = 0;
    int64_t first_seen_ms = 0;
    int64_t last_seen_ms = 0;
  };
  // (issue, key, value), found without building one (the writer thread looks a dozen up per
  // event): the map's hash and equality also take a TagView.
  struct TagKey {
    int64_t issue_id;
    std::string key;
    std::string value;
  };
  struct TagView {
    int64_t issue_id;
    std::string_view key;
    std::string_view value;
  };
  struct TagKeyHash {
    using is_transparent = void;
    size_t operator()(const TagView& t) const {
      size_t h = std::hash<std::string_view>()(t.key);
      h ^= std::hash<std::string_view>()(t.value) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      return h ^ (static_cast<size_t>(t.issue_id) * 0x9e3779b97f4a7c15ULL);
    }
    size_t operator()(const TagKey& t) const {
      return (*this)(TagView{t.issue_id, t.key, t.value});
    }
  };
  struct TagKeyEqual {
    using is_transparent = void;
    static TagView View(const TagKey& t) { return {t.issue_id, t.key, t.value}; }
    static TagView View(const TagView& t) { return t; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      TagView x = View(a), y = View(b);
      return x.issue_id == y.issue_id && x.key == y.key && x.value == y.value;
    }
  };
  using TagCounts = std::unordered_map<TagKey, TagCount, TagKeyHash, TagKeyEqual>;
  // Adds one event's tags to `counts`.
  static void AddTags(TagCounts& counts, int64_t issue_id,
                      const std::vector<std::pair<std::string, std::string>>& tags,
                      int64_t timestamp_ms);
  // Adds a batch's tag counts to issue_tags (and to issues.user_count for new users), or takes
  // a stored event's tags back out before it is deleted. Same locking as below.
  base::Status CountTagsLocked(const TagCounts& tags);
  // kNotFound unless user `user_id` exists; on the writer, under write_mu_.
  base::Status UserExistsLocked(int64_t user_id);
  base::Status UncountTagsLocked(int64_t event_row);
  // Writes the pending tag counts (recounting from the stored events after a failed batch)
  // and moves issue_tags_upto; inside the caller's write transaction.
  base::Status FlushTagsLocked();
  // FlushTagsLocked in a transaction of its own, when anything is pending: the reads that
  // show tags or users call it first, so they see every event stored before them.
  base::Status FlushPendingTags();
  // Deletes every row; the caller holds write_mu_ and an open write transaction.
  base::Status DeleteAllLocked();
  // Runs `sql` (bound to a, b; it yields event id and issue id) and collects its rows. The
  // caller holds write_mu_ and an open write transaction.
  base::Status SelectEventRowsLocked(const char* sql, int64_t a, int64_t b,
                                     std::vector<int64_t>& rows, std::set<int64_t>& issues);
  // Deletes the events `rows` with their attachments, then those of `issues` left without
  // events. Same locking as above.
  base::Status DeleteEventRowsLocked(const std::vector<int64_t>& rows,
                                     const std::set<int64_t>& issues);

  std::mutex write_mu_;                 // serializes every write on writer_
  std::unique_ptr<Connection> writer_;  // GUARDED_BY(write_mu_)

  // Tag counts of stored events that issue_tags does not hold yet. Counting them per event
  // cost the writer a third of its time (a dozen upserts per event); summed in memory over
  // up to five seconds, each distinct (issue, key, value) costs one upsert per flush instead.
  TagCounts pending_tags_;        // GUARDED_BY(write_mu_)
  int64_t pending_upto_row_ = 0;  // GUARDED_BY(write_mu_)
  int64_t counted_upto_ = 0;      // issue_tags_upto as this process last wrote it; GUARDED_BY
  size_t pending_events_ = 0;     // GUARDED_BY(write_mu_)
  std::chrono::steady_clock::time_point pending_since_;  // GUARDED_BY(write_mu_)
  bool recount_ = false;  // a failed batch left pending_tags_ unsure; GUARDED_BY(write_mu_)
  std::atomic<bool> tags_pending_{false};  // readers skip the lock when nothing is pending
  ReaderPool readers_;
};

}  // namespace ferry::store::sqlite
