#include <gtest/gtest.h>

#include <vector>

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
