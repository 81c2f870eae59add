// Numbered schema migrations. The database records the highest applied migration in
// `schema_version`; opening applies the missing ones in order, each in its own transaction
// together with the version bump, so a crash leaves the database at a whole version. A
// database whose version is above every known migration was written by a newer ferry and is
// refused rather than misread.
#pragma once

#include <span>

#include "base/status.h"
#include "store/sqlite/connection.h"

namespace ferry::store::sqlite {

struct Migration {
  int version;                  // 1, 2, 3, ... without gaps
  const char* sql;              // statements run in one transaction
  const char* after = nullptr;  // more statements for the same transaction (data migration)
};

// Refills issue_tags and issues.user_count from the stored events (migration 2, and restore,
// which does not carry them). The caller holds a write transaction.
extern const char kRebuildIssueTags[];

// Every migration of this build, oldest first.
std::span<const Migration> Migrations();

// Brings the database to the last of `migrations` (tests pass a prefix to build old versions).
// Errors: kInvalidArgument when the database is newer than the last migration.
base::Status ApplyMigrations(Connection& conn, std::span<const Migration> migrations);

// The version recorded in the database; 0 for a new file.
base::Result<int> SchemaVersion(Connection& conn);

}  // namespace ferry::store::sqlite
