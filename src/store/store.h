// The built-in store: projects and their keys, users and API tokens, issues, events and
// attachments. Store is the interface every backend implements (SQLite now, PostgreSQL next):
// nothing above it may depend on SQL dialects. All calls block and must not run on the HTTP
// I/O threads; ingest goes through EventWriter (event_writer.h), queries through a worker.
//
// Times are milliseconds since the Unix epoch (UTC). Ids are positive integers that survive a
// backup and restore unchanged, so shipped DSNs keep working.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ferry::store {

struct ProjectKey {
  int64_t project_id = 0;
  std::string public_key;  // 32 lowercase hex
  std::string secret;      // may be empty
  bool enabled = true;
};

struct Project {
  int64_t id = 0;
  std::string slug;  // unique, [a-z0-9-]
  std::string name;
  std::string platform;  // "python", "node", "javascript", "dart", ... or ""
  int64_t created_ms = 0;
  std::vector<ProjectKey> keys;
};

struct User {
  int64_t id = 0;
  std::string email;          // unique, lower-cased
  std::string password_hash;  // argon2id (libsodium's crypto_pwhash_str); "" = cannot log in
  bool superuser = false;
};

// A signed-in browser (the web UI). The cookie's token is stored only as its SHA-256, as API
// tokens are; `csrf` is the token every state-changing form of the session must carry.
struct Session {
  User user;
  std::string csrf;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
};

// The DSN SDKs use for `key` on a server reachable at `public_url`:
// scheme://<key>@host[:port][/path]/<project_id>.
std::string DsnFor(const std::string& public_url, const ProjectKey& key);

enum class IssueStatus { kUnresolved, kResolved, kIgnored };
std::string_view IssueStatusName(IssueStatus status);  // "unresolved" | "resolved" | "ignored"
std::optional<IssueStatus> ParseIssueStatus(std::string_view name);

struct Attachment {
  std::string filename;
  std::string content_type;
  std::string attachment_type;  // "event.attachment", "event.minidump", ...
  std::string data;             // bytes
  int64_t size = 0;             // bytes; set by the store even when `data` is left out
};

// One event, normalized and grouped by the ingest pipeline, ready to store.
struct EventRecord {
  int64_t project_id = 0;
  std::string event_id;  // 32 lowercase hex; a second event with the same id in a project is
                         // ignored (SDKs retry), and reported as such
  int64_t timestamp_ms = 0;
  int64_t received_ms = 0;
  std::string level;  // fatal | error | warning | info | debug
  std::string platform;
  std::string release;
  std::string environment;
  std::string message;  // formatted message, for search
  std::string title;
  std::string culprit;
  std::string type;                              // "error" | "default"
  std::string metadata_json;                     // Sentry's issue metadata, a JSON object text
  std::string grouping_hash;                     // decides the issue
  std::string grouping_method;                   // "fingerprint", "stacktrace", ...
  std::vector<std::string> grouping_components;  // human-readable, stored with the event
  // Every tag, the SDK's and the derived ones: each (issue, key, value) is counted for the
  // issue's tag distribution and search; distinct "user" values are the issue's users. The
  // "environment" and "release" tags, when set, are the fields above: the issue list's
  // environment and release filters read them.
  std::vector<std::pair<std::string, std::string>> tags;
  std::string payload_json;  // the normalized event, returned by the API as is
  // payload_json as CompressPayload (payload_codec.h) makes it, when the submitting thread has
  // compressed it already; payload_json may then be empty. Without it, the store compresses
  // payload_json itself. Events read back have payload_json and no payload_compressed.
  std::string payload_compressed;
  std::vector<Attachment> attachments;
};

struct SaveResult {
  int64_t issue_id = 0;
  bool new_issue = false;
  bool regressed = false;  // the issue was resolved and this event reopened it
  bool duplicate = false;  // the event id was already stored; nothing changed
};

struct Issue {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string grouping_hash;
  std::string title;
  std::string culprit;
  std::string level;
  std::string platform;
  IssueStatus status = IssueStatus::kUnresolved;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  int64_t count = 0;  // events received (retention does not lower it)
  // Distinct values of the "user" tag among the issue's stored events.
  int64_t user_count = 0;
  std::string type;           // of the latest event; "" for issues stored before it was kept
  std::string metadata_json;  // of the latest event; "" likewise
};

// One value of a tag among an issue's stored events.
struct TagValueCount {
  std::string key;
  std::string value;
  int64_t count = 0;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
};

enum class IssueSort { kLastSeen, kFirstSeen, kEvents, kUsers };

struct StoredEvent {
  int64_t issue_id = 0;
  EventRecord record;  // attachments carry filename/content_type/size only when listed
};

struct IssueQuery {
  static constexpr size_t kMaxTagFilters = 20;
  int64_t project_id = 0;  // 0: every project
  std::optional<IssueStatus> status;
  std::string level;        // exact, "" = any
  std::string environment;  // events with this environment, "" = any
  std::string release;      // events with this release, "" = any
  std::string text;         // substring of title, culprit or message, case-insensitive
  // Tag filters, all of which must hold: an issue matches (key, value) when one of its stored
  // events has that tag, and a negated one when none has. At most kMaxTagFilters.
  struct TagFilter {
    std::string key;
    std::string value;
    bool negated = false;
  };
  std::vector<TagFilter> tags;
  int64_t since_ms = 0;  // last_seen >= since_ms
  IssueSort sort = IssueSort::kLastSeen;
  int limit = 100;
  int64_t offset = 0;
};

// What the projects page shows of a project.
struct ProjectStats {
  int64_t open_issues = 0;                         // unresolved
  int64_t events_24h = 0;                          // stored events received in the last 24 hours
  std::vector<std::pair<int64_t, int64_t>> daily;  // (day, events) since the day asked, by day
};

// Counts of what was accepted but not stored as events (transactions, sessions, ...).
struct ItemCount {
  int64_t project_id = 0;
  std::string category;  // "transaction", "session", "client_report", "user_report", "dropped"
  int64_t day = 0;       // days since the epoch
  int64_t count = 0;
};

// One row of a backup: its kind ("user", "token", "project", "key", "issue", "event",
// "attachment", "item_count", "issue_day") and its fields as a JSON object text.
struct BackupRow {
  std::string kind;
  std::string json;
};

class Store {
 public:
  virtual ~Store() = default;

  // Projects and keys. CreateProject makes one enabled key. Errors: kInvalidArgument (name),
  // kAlreadyExists is reported as kInvalidArgument "project \"x\" exists".
  virtual base::Result<Project> CreateProject(const std::string& name,
                                              const std::string& platform) = 0;
  virtual base::Result<std::vector<Project>> ListProjects() = 0;
  virtual base::Result<std::optional<Project>> FindProject(int64_t id) = 0;
  virtual base::Result<std::optional<Project>> FindProjectBySlug(const std::string& slug) = 0;
  virtual base::Result<std::optional<ProjectKey>> FindKey(const std::string& public_key) = 0;
  // Enables or disables a key (a disabled key's events are refused with 403). Errors:
  // kNotFound for an unknown key.
  virtual base::Status SetKeyEnabled(const std::string& public_key, bool enabled) = 0;

  // Users and API tokens. Tokens are stored as SHA-256 hex of the token text.
  virtual base::Result<User> CreateUser(const std::string& email, const std::string& password_hash,
                                        bool superuser) = 0;
  virtual base::Result<std::optional<User>> FindUserByEmail(const std::string& email) = 0;
  // Every user, by id (mail alerts go to all of them when mail.to is not set).
  virtual base::Result<std::vector<User>> ListUsers() = 0;
  virtual base::Status AddToken(int64_t user_id, const std::string& token_sha256) = 0;
  virtual base::Result<std::optional<User>> FindUserByToken(const std::string& token_sha256) = 0;

  // Web UI sessions; they survive restarts and are not part of backups. FindSession answers
  // only sessions that have not expired at `now_ms`. DeleteUserSessions signs a user out
  // everywhere. Errors: kNotFound (CreateSession) for an unknown user.
  virtual base::Status CreateSession(int64_t user_id, const std::string& token_sha256,
                                     const std::string& csrf, int64_t expires_ms) = 0;
  virtual base::Result<std::optional<Session>> FindSession(const std::string& token_sha256,
                                                           int64_t now_ms) = 0;
  virtual base::Status DeleteSession(const std::string& token_sha256) = 0;
  virtual base::Status DeleteUserSessions(int64_t user_id) = 0;

  // Ingest: stores a batch in one transaction (group commit) and returns one result per
  // record, in order. Durable when it returns OK.
  virtual base::Result<std::vector<SaveResult>> SaveEvents(
      const std::vector<EventRecord>& batch) = 0;
  virtual base::Status AddItemCounts(const std::vector<ItemCount>& counts) = 0;

  // Queries.
  virtual base::Result<std::vector<Issue>> ListIssues(const IssueQuery& query) = 0;
  virtual base::Result<std::optional<Issue>> FindIssue(int64_t id) = 0;
  virtual base::Status SetIssueStatus(int64_t id, IssueStatus status) = 0;
  // Newest first.
  virtual base::Result<std::vector<StoredEvent>> ListIssueEvents(int64_t issue_id, int limit,
                                                                 int64_t offset) = 0;
  virtual base::Result<std::optional<StoredEvent>> FindEvent(int64_t project_id,
                                                             const std::string& event_id) = 0;
  virtual base::Result<std::vector<Attachment>> ListAttachments(int64_t project_id,
                                                                const std::string& event_id) = 0;
  // The issue's tag values, most frequent first: at most `per_key` values per key, all keys
  // (or only `key` when it is not empty).
  virtual base::Result<std::vector<TagValueCount>> IssueTagValues(int64_t issue_id,
                                                                  const std::string& key,
                                                                  int per_key) = 0;
  // The projects page's numbers for a project, at `now_ms`, with daily counts from `since_day`.
  virtual base::Result<ProjectStats> GetProjectStats(int64_t project_id, int64_t now_ms,
                                                     int64_t since_day) = 0;
  // Events per day of each issue in `issue_ids` (at most 1,000) from `since_day`; issues
  // without any have no entry.
  virtual base::Result<std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>>>
  IssuesDailyCounts(const std::vector<int64_t>& issue_ids, int64_t since_day) = 0;
  // How many events of the issue are stored (retention lowers it, unlike Issue::count).
  virtual base::Result<int64_t> CountIssueEvents(int64_t issue_id) = 0;
  // Whether any stored event of the project (0: of any project) has a tag named `key`.
  virtual base::Result<bool> HasTagKey(int64_t project_id, const std::string& key) = 0;
  // Events per day for an issue: (day since epoch, count), oldest first.
  virtual base::Result<std::vector<std::pair<int64_t, int64_t>>> IssueDailyCounts(
      int64_t issue_id, int64_t since_day) = 0;
  virtual base::Result<std::vector<ItemCount>> ListItemCounts(int64_t project_id) = 0;

  // Retention: deletes at most `batch` events received before `cutoff_ms` (with their
  // attachments), then issues left without events. Returns the number of events deleted;
  // callers loop until it returns 0, so no single transaction holds the lock for long.
  virtual base::Result<int64_t> DeleteEventsBefore(int64_t cutoff_ms, int batch) = 0;
  // The per-project cap: while project `project_id` holds more than `keep` events, deletes
  // (with their attachments) at most `batch` of its oldest events that are not the newest of
  // their issue, so that a crash loop cannot fill the disk and every issue keeps an event to
  // show (issue counts are unchanged). When only issues' newest events are left, the oldest
  // issues go with them. Returns the number deleted; callers loop until 0.
  virtual base::Result<int64_t> TrimProjectEvents(int64_t project_id, int64_t keep, int batch) = 0;

  // True when the store holds no project, user or event (restore refuses others unless forced).
  virtual base::Result<bool> IsEmpty() = 0;
  // Deletes every row (projects, users, issues, events, ...) in one transaction; ids are not
  // reused afterwards. `ferry restore --force` relies on Import doing this itself, atomically.
  virtual base::Status Wipe() = 0;

  // Backup and restore (see backup.h for the file format). Export hands every row to `sink`
  // from one consistent snapshot, taken while ingest goes on; `config_only` limits it to
  // users, tokens, projects and keys. Import replaces the whole content in one transaction,
  // keeping ids, so a failed import leaves the store untouched.
  virtual base::Status Export(bool config_only,
                              const std::function<base::Status(const BackupRow&)>& sink) = 0;
  virtual base::Status Import(
      const std::function<base::Result<std::optional<BackupRow>>()>& next_row) = 0;
};

}  // namespace ferry::store
