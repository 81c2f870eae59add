// A thin RAII layer over one sqlite3 connection: pragmas applied at open, a per-connection
// cache of prepared statements, statements that reset themselves, and transactions that roll
// back unless committed. A Connection is used by one thread at a time (the store's writer
// mutex or its reader pool guarantees that), so it is opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store::sqlite {

// Maps an SQLite result code to a Status: busy/locked/full/I/O → kUnavailable (the store
// cannot take the request now), constraint → kInvalidArgument, anything else → kInternal.
base::Status SqliteError(int rc, std::string_view what, sqlite3* db);

// A cached prepared statement, borrowed for one use. Bind errors are remembered and reported
// by the next Step/Run, so call sites bind without checking each call.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();  // resets the statement and clears its bindings for the next user

  template <std::integral T>
  void Bind(int index, T value) {
    Check(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)));
  }
  void Bind(int index, std::string_view text);
  void Bind(int index, const std::string& text) { Bind(index, std::string_view(text)); }
  void Bind(int index, const char* text) { Bind(index, std::string_view(text)); }
  void BindBlob(int index, std::string_view bytes);
  // Bind without a copy, for large values (event payloads, attachments): SQLite reads `text` or
  // `bytes` in place. REQUIRES: they stay alive and unchanged until this Statement is done.
  void BindTextInPlace(int index, std::string_view text);
  void BindBlobInPlace(int index, std::string_view bytes);

  // Binds the arguments to ?1, ?2, ... in order.
  template <typename... Args>
  void BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
  }

  // true: a row is ready; false: done.
  base::Result<bool> Step();
  // Steps to completion, ignoring rows.
  base::Status Run();
  // Ready for another use with new bindings (loops that run one statement many times).
  void Reset();

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const;
  std::string Blob(int col) const;
  // Valid until the next Step, Reset or column read of another type.
  std::string_view BlobView(int col) const;
  // An event payload column: an LZ4 frame (payload_codec.h) decompressed, or text as it is
  // (events stored before schema 3).
  base::Result<std::string> Payload(int col) const;
  int ColumnType(int col) const { return sqlite3_column_type(stmt_, col); }

 private:
  void Check(int rc);

  sqlite3_stmt* stmt_;
  sqlite3* db_;
  int bind_error_ = SQLITE_OK;
};

class Connection {
 public:
  // Opens (creating when `create`) the database and applies the per-connection pragmas:
  // busy_timeout, synchronous, foreign_keys; `read_only` adds query_only.
  static base::Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                        const SqliteOptions& options,
                                                        bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (DDL, pragmas, BEGIN/COMMIT).
  base::Status Exec(const std::string& sql);
  // A prepared statement from this connection's cache.
  base::Result<Statement> Prepare(const std::string& sql);
  // The same for SQL in a string literal, found by its address: no copy or hash of the text,
  // for the statements the ingest writer runs several times per event.
  // REQUIRES: `sql` has static storage duration and never changes.
  base::Result<Statement> PrepareStatic(const char* sql);

  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::unordered_map<const char*, sqlite3_stmt*> static_cache_;  // entries of cache_ as well
};

// BEGIN IMMEDIATE (write) or BEGIN (read: the snapshot is taken at the first SELECT) on
// construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static base::Result<std::unique_ptr<Transaction>> Begin(Connection& conn, Mode mode);
  ~Transaction();
  base::Status Commit();

 private:
  explicit Transaction(Connection& conn) : conn_(conn) {}
  Connection& conn_;
  bool open_ = true;
};

}  // namespace ferry::store::sqlite
