#include <gtest/gtest.h>

#include <vector>

#include "store/payload_codec.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/test_util.h"

namespace ferry::store::sqlite {
namespace {

std::unique_ptr<Connection> OpenConn(const std::string& path) {
  auto conn = Connection::Open(path, SqliteOptions{}, /*read_only=*/false);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

TEST(MigrationTest, NewFileIsBroughtToTheLatestVersion) {
  testing::TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  store.reset();
  auto conn = OpenConn(dir.File("ferry.db"));
  auto version = SchemaVersion(*conn);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, Migrations().back().version);
}

TEST(MigrationTest, DatabaseAtAnOlderVersionIsMigratedAndKeepsItsRows) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  {
    auto store = testing::OpenOrDie(path);
    ASSERT_TRUE(store->CreateProject("web", "").ok());
  }
  // A later build adds migration N+1; opening the old file applies it and only it.
  std::vector<Migration> next(Migrations().begin(), Migrations().end());
  const int n = next.back().version;
  next.push_back({n + 1, "ALTER TABLE projects ADD COLUMN color TEXT NOT NULL DEFAULT 'blue'"});
  auto conn = OpenConn(path);
  ASSERT_TRUE(ApplyMigrations(*conn, next).ok());
  EXPECT_EQ(*SchemaVersion(*conn), n + 1);
  auto stmt = conn->Prepare("SELECT slug, color FROM projects");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->Text(0), "web");
  EXPECT_EQ(stmt->Text(1), "blue");
  // Applying again is a no-op.
  ASSERT_TRUE(ApplyMigrations(*conn, next).ok());
}

TEST(MigrationTest, MigrationsRunInOrderFromAnyVersion) {
  testing::TempDir dir;
  auto conn = OpenConn(dir.File("t.db"));
  const Migration v1[] = {{1, "CREATE TABLE a (x INTEGER)"}};
  ASSERT_TRUE(ApplyMigrations(*conn, v1).ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO a VALUES (1)").ok());
  const Migration v3[] = {{1, "CREATE TABLE a (x INTEGER)"},
                          {2, "ALTER TABLE a ADD COLUMN y INTEGER DEFAULT 2"},
                          {3, "UPDATE a SET y = y + 1"}};
  ASSERT_TRUE(ApplyMigrations(*conn, v3).ok());
  EXPECT_EQ(*SchemaVersion(*conn), 3);
  auto stmt = conn->Prepare("SELECT x, y FROM a");
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->Int(1), 3);
}

TEST(MigrationTest, FailedMigrationKeepsTheVersionBeforeIt) {
  testing::TempDir dir;
  auto conn = OpenConn(dir.File("t.db"));
  const Migration bad[] = {{1, "CREATE TABLE a (x INTEGER)"}, {2, "THIS IS NOT SQL"}};
  EXPECT_FALSE(ApplyMigrations(*conn, bad).ok());
  EXPECT_EQ(*SchemaVersion(*conn), 1);
}

TEST(MigrationTest, NewerDatabaseIsRefusedWithAClearError) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  { testing::OpenOrDie(path); }
  {
    auto conn = OpenConn(path);
    ASSERT_TRUE(conn->Exec("UPDATE schema_version SET version = 999").ok());
  }
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), base::Code::kInvalidArgument);
  EXPECT_NE(store.status().detail().find("database schema version 999 is newer"), std::string::npos)
      << store.status().detail();
}

TEST(MigrationTest, FileThatIsNotADatabaseIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not an SQLite database, just some text that is long enough to matter\n", f);
  std::fclose(f);
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), base::Code::kInvalidArgument);
}

}  // namespace
}  // namespace ferry::store::sqlite

namespace ferry::store::sqlite {
namespace {

// Regression guard for migration 2 on a file written by migration 1: events stored then carry
// only their SDK's tags; their level, environment, release and user become issue tags, and
// the issue's user count is filled.
TEST(MigrationTest, Migration2FillsIssueTagsFromEventsStoredBefore) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  {
    auto conn = OpenConn(path);
    ASSERT_TRUE(ApplyMigrations(*conn, Migrations().subspan(0, 1)).ok());
    ASSERT_TRUE(conn->Exec(R"sql(
      INSERT INTO projects (id, slug, name, platform, created_ms) VALUES (1, 'web', 'web', '', 0);
      INSERT INTO issues (id, project_id, grouping_hash, title, culprit, level, platform, status,
        first_seen_ms, last_seen_ms, count) VALUES (1, 1, 'h', 't', 'c', 'error', 'python',
        'unresolved', 1, 2, 2);
      INSERT INTO events (project_id, issue_id, event_id, timestamp_ms, received_ms, level,
        platform, release, environment, message, title, culprit, grouping_hash,
        grouping_method, grouping_components, tags, payload_json) VALUES
        (1, 1, 'e1', 1, 1, 'error', 'python', '1.0', 'prod', '', 't', 'c', 'h', 'm', '[]',
         '[["server","a"]]', '{"user":{"id":"7"}}'),
        (1, 1, 'e2', 2, 2, 'error', 'python', '1.0', '', '', 't', 'c', 'h', 'm', '[]', '[]',
         '{"user":{"email":"x@y"}}');
    )sql")
                    .ok());
  }
  auto store = testing::OpenOrDie(path);
  auto issue = store->FindIssue(1);
  ASSERT_TRUE(issue.ok() && issue->has_value());
  EXPECT_EQ((*issue)->user_count, 2);
  EXPECT_EQ((*issue)->type, "");
  auto tags = store->IssueTagValues(1, "", 10);
  ASSERT_TRUE(tags.ok());
  std::vector<std::string> got;
  for (const auto& t : *tags) got.push_back(t.key + "=" + t.value + "x" + std::to_string(t.count));
  EXPECT_EQ(got, (std::vector<std::string>{"environment=prodx1", "level=errorx2", "release=1.0x2",
                                           "server=ax1", "user=email:x@yx1", "user=id:7x1"}));
}

// Migration 3 stores payloads as LZ4 frames from then on. Events stored before keep their
// text; both kinds read back the same, through the store, in SQL and in backups, and a
// restore compresses what it restores.
TEST(MigrationTest, Migration3KeepsTextPayloadsAndCompressesNewOnes) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  const std::string old_payload = R"({"event_id":"e1","user":{"id":"7"}})";
  {
    auto conn = OpenConn(path);
    ASSERT_TRUE(ApplyMigrations(*conn, Migrations().subspan(0, 2)).ok());
    ASSERT_TRUE(conn->Exec(R"sql(
      INSERT INTO projects (id, slug, name, platform, created_ms) VALUES (1, 'web', 'web', '', 0);
      INSERT INTO issues (id, project_id, grouping_hash, title, culprit, level, platform, status,
        first_seen_ms, last_seen_ms, count) VALUES (1, 1, 'h', 't', 'c', 'error', 'python',
        'unresolved', 1, 1, 1);
      INSERT INTO events (project_id, issue_id, event_id, timestamp_ms, received_ms, level,
        platform, release, environment, message, title, culprit, grouping_hash,
        grouping_method, grouping_components, tags, payload_json) VALUES
        (1, 1, 'e1', 1, 1, 'error', 'python', '1.0', 'prod', '', 't', 'c', 'h', 'm', '[]',
         '[]', '{"event_id":"e1","user":{"id":"7"}}');
      UPDATE issue_tags_upto SET event_row = 1;
    )sql")
                    .ok());
  }
  auto store = testing::OpenOrDie(path);
  EventRecord fresh = testing::MakeEvent(1, 2, "h", 5);
  fresh.payload_json = R"({"event_id":"e2","user":{"email":"x@y"}})";
  ASSERT_TRUE(store->SaveEvents({fresh}).ok());
  EventRecord precompressed = testing::MakeEvent(1, 3, "h", 6);
  const std::string third = R"({"event_id":"e3"})";
  precompressed.payload_json.clear();
  precompressed.payload_compressed = CompressPayload(third);
  ASSERT_TRUE(store->SaveEvents({precompressed}).ok());

  auto read = [&](const std::string& id) {
    auto e = testing::Get(store->FindEvent(1, id));
    return e ? e->record.payload_json : std::string("(none)");
  };
  EXPECT_EQ(read("e1"), old_payload);
  EXPECT_EQ(read(testing::EventId(2)), fresh.payload_json);
  EXPECT_EQ(read(testing::EventId(3)), third);

  {
    auto conn = OpenConn(path);
    auto stmt = conn->Prepare(
        "SELECT typeof(payload_json), json_extract(ferry_payload(payload_json), '$.event_id') "
        "FROM events ORDER BY id");
    ASSERT_TRUE(stmt.ok());
    std::vector<std::string> got;
    while (*stmt->Step()) got.push_back(stmt->Text(0) + " " + stmt->Text(1));
    EXPECT_EQ(got, (std::vector<std::string>{"text e1", "blob e2", "blob e3"}));
    auto bad = conn->Prepare("SELECT ferry_payload(x'04224d1840')");
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(bad->Step().ok());
  }

  // Backups carry the JSON text of both kinds; a restore stores frames and still finds the
  // users of events stored before migration 2 (they have no "level" tag) in their payloads.
  std::vector<BackupRow> rows;
  ASSERT_TRUE(store
                  ->Export(false,
                           [&](const BackupRow& row) {
                             rows.push_back(row);
                             return base::Status::Ok();
                           })
                  .ok());
  int events = 0;
  for (const BackupRow& row : rows) {
    if (row.kind != "event") continue;
    ++events;
    EXPECT_NE(row.json.find(R"(\"event_id\":\"e)"), std::string::npos) << row.json;
  }
  EXPECT_EQ(events, 3);
  size_t next = 0;
  ASSERT_TRUE(store
                  ->Import([&]() -> base::Result<std::optional<BackupRow>> {
                    if (next == rows.size()) return std::optional<BackupRow>();
                    return std::optional<BackupRow>(rows[next++]);
                  })
                  .ok());
  EXPECT_EQ(read("e1"), old_payload);
  EXPECT_EQ(read(testing::EventId(2)), fresh.payload_json);
  {
    auto conn = OpenConn(path);
    auto stmt = conn->Prepare("SELECT count(*) FROM events WHERE typeof(payload_json) = 'blob'");
    ASSERT_TRUE(*stmt->Step());
    EXPECT_EQ(stmt->Int(0), 3);
  }
  auto users = testing::Get(store->IssueTagValues(1, "user", 10));
  std::vector<std::string> got;
  got.reserve(users.size());
  for (const auto& t : users) got.push_back(t.value);
  // Neither event has a "level" tag (MakeEvent's tags are an old SDK's): both users come
  // from payloads that are frames now.
  EXPECT_EQ(got, (std::vector<std::string>{"email:x@y", "id:7"}));
}

}  // namespace
}  // namespace ferry::store::sqlite
