#include "store/sqlite/schema.h"

#include <memory>
#include <string>

namespace ferry::store::sqlite {

// Events stored before migration 2 carry only the tags their SDK sent: their level,
// environment, release and user are taken from their columns and payload instead (an event
// whose tags lack "level" is one of those).
const char kRebuildIssueTags[] = R"sql(
DELETE FROM issue_tags;
INSERT INTO issue_tags (issue_id, key, value, count, first_seen_ms, last_seen_ms)
SELECT issue_id, key, value, count(*), min(ts), max(ts) FROM (
  SELECT e.issue_id AS issue_id, json_extract(t.value, '$[0]') AS key,
         json_extract(t.value, '$[1]') AS value, e.timestamp_ms AS ts
    FROM events e, json_each(e.tags) t
  UNION ALL
  SELECT issue_id, 'level', level, timestamp_ms FROM events
    WHERE instr(tags, '["level",') = 0
  UNION ALL
  SELECT issue_id, 'environment', environment, timestamp_ms FROM events
    WHERE instr(tags, '["level",') = 0
  UNION ALL
  SELECT issue_id, 'release', release, timestamp_ms FROM events
    WHERE instr(tags, '["level",') = 0
  UNION ALL
  SELECT issue_id, 'user', CASE
      WHEN json_extract(ferry_payload(payload_json), '$.user.id') IS NOT NULL
        THEN 'id:' || json_extract(ferry_payload(payload_json), '$.user.id')
      WHEN json_extract(ferry_payload(payload_json), '$.user.username') IS NOT NULL
        THEN 'username:' || json_extract(ferry_payload(payload_json), '$.user.username')
      WHEN json_extract(ferry_payload(payload_json), '$.user.email') IS NOT NULL
        THEN 'email:' || json_extract(ferry_payload(payload_json), '$.user.email')
      WHEN json_extract(ferry_payload(payload_json), '$.user.ip_address') IS NOT NULL
        THEN 'ip:' || json_extract(ferry_payload(payload_json), '$.user.ip_address')
    END, timestamp_ms FROM events WHERE instr(tags, '["level",') = 0
)
WHERE typeof(key) = 'text' AND typeof(value) = 'text' AND key != '' AND value != ''
GROUP BY issue_id, key, value;
UPDATE issues SET user_count =
  (SELECT count(*) FROM issue_tags t WHERE t.issue_id = issues.id AND t.key = 'user');
UPDATE issue_tags_upto SET event_row = (SELECT coalesce(max(id), 0) FROM events);
)sql";

namespace {

// Migration 1: the whole initial schema. docs/schema.md explains each table and index.
// AUTOINCREMENT on tables whose ids are shown to users (projects, users, issues) so that an id
// freed by retention or a restore is never handed to a different row.
constexpr char kMigration1[] = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  superuser INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE tokens (
  token_sha256 TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_by_user ON tokens(user_id);
CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  platform TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE project_keys (
  public_key TEXT PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  secret TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX project_keys_by_project ON project_keys(project_id);
CREATE TABLE issues (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  grouping_hash TEXT NOT NULL,
  title TEXT NOT NULL,
  culprit TEXT NOT NULL,
  level TEXT NOT NULL,
  platform TEXT NOT NULL,
  status TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  count INTEGER NOT NULL
);
CREATE UNIQUE INDEX issues_by_hash ON issues(project_id, grouping_hash);
CREATE INDEX issues_by_last_seen ON issues(project_id, last_seen_ms DESC);
CREATE INDEX issues_by_status ON issues(project_id, status, last_seen_ms DESC);
CREATE TABLE issue_days (
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  day INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (issue_id, day)
) WITHOUT ROWID;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  event_id TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  level TEXT NOT NULL,
  platform TEXT NOT NULL,
  release TEXT NOT NULL,
  environment TEXT NOT NULL,
  message TEXT NOT NULL,
  title TEXT NOT NULL,
  culprit TEXT NOT NULL,
  grouping_hash TEXT NOT NULL,
  grouping_method TEXT NOT NULL,
  grouping_components TEXT NOT NULL,
  tags TEXT NOT NULL,
  payload_json TEXT NOT NULL
);
CREATE UNIQUE INDEX events_by_event_id ON events(project_id, event_id);
CREATE INDEX events_by_issue_time ON events(issue_id, timestamp_ms DESC, id DESC);
CREATE INDEX events_by_issue_environment ON events(issue_id, environment);
CREATE INDEX events_by_issue_release ON events(issue_id, release);
CREATE INDEX events_by_received ON events(received_ms);
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_row INTEGER NOT NULL REFERENCES events(id),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  attachment_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX attachments_by_event ON attachments(event_row);
CREATE TABLE item_counts (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  category TEXT NOT NULL,
  day INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (project_id, category, day)
) WITHOUT ROWID;
)sql";

// Migration 2: event processing at Sentry's level. Issues keep their latest event's type and
// metadata and a count of distinct users; issue_tags counts every tag value of an issue's
// stored events (the tag distribution, tag search and the user count), and is filled from
// the events already stored. issue_tags_upto holds the last event row it counts: later ones
// are counted in memory first (sqlite_events.cc).
constexpr char kMigration2[] = R"sql(
ALTER TABLE issues ADD COLUMN type TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN metadata TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN user_count INTEGER NOT NULL DEFAULT 0;
CREATE TABLE issue_tags (
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;
CREATE TABLE issue_tags_upto (event_row INTEGER NOT NULL);
INSERT INTO issue_tags_upto VALUES (0);
)sql";

// Migration 3: events.payload_json holds an LZ4 frame (a BLOB) for every event stored from
// now on; rows stored before keep their text, and both read the same (ferry_payload() in SQL).
// The version keeps an older ferry, which would read the frames as text, from opening the
// store. The issue list's environment and release filters read issue_tags now: the events'
// two indexes for them go (two b-tree inserts fewer per event).
constexpr char kMigration3[] = R"sql(
DROP INDEX events_by_issue_environment;
DROP INDEX events_by_issue_release;
)sql";

// Migration 4: web UI sessions (store.h Session; not in backups: a restore signs everyone
// out), and tag keys indexed so that the UI can tell a typo'd search key from a tag.
constexpr char kMigration4[] = R"sql(
CREATE TABLE sessions (
  token_sha256 TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  csrf TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX issue_tags_by_key ON issue_tags(key);
)sql";

constexpr Migration kMigrations[] = {
    {1, kMigration1},
    {2, kMigration2, kRebuildIssueTags},
    {3, kMigration3},
    {4, kMigration4},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

base::Result<int> SchemaVersion(Connection& conn) {
  auto stmt = conn.Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (stmt->Int(0) == 0) return 0;
  auto version = conn.Prepare("SELECT max(version) FROM schema_version");
  if (!version.ok()) return version.status();
  auto vrow = version->Step();
  if (!vrow.ok()) return vrow.status();
  return *vrow ? static_cast<int>(version->Int(0)) : 0;
}

base::Status ApplyMigrations(Connection& conn, std::span<const Migration> migrations) {
  int latest = migrations.empty() ? 0 : migrations.back().version;
  // BEGIN IMMEDIATE first: two processes opening a new file at once must not both migrate.
  auto tx = Transaction::Begin(conn, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  FERRY_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  auto current = SchemaVersion(conn);
  if (!current.ok()) return current.status();
  if (*current > latest) {
    return base::InvalidArgument("database schema version " + std::to_string(*current) +
                                 " is newer than this ferry supports (" + std::to_string(latest) +
                                 "); upgrade ferry or open a backup");
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    FERRY_RETURN_IF_ERROR(conn.Exec(m.sql));
    if (m.after != nullptr) FERRY_RETURN_IF_ERROR(conn.Exec(m.after));
    FERRY_RETURN_IF_ERROR(
        conn.Exec("DELETE FROM schema_version; INSERT INTO schema_version "
                  "VALUES (" +
                  std::to_string(m.version) + ")"));
    // Each migration commits on its own, so a failure later keeps the earlier ones.
    FERRY_RETURN_IF_ERROR((*tx)->Commit());
    tx = Transaction::Begin(conn, Transaction::Mode::kWrite);
    if (!tx.ok()) return tx.status();
  }
  return (*tx)->Commit();
}

}  // namespace ferry::store::sqlite
