#include "store/sqlite/connection.h"

#include <string>
#include <utility>

#include "store/payload_codec.h"

namespace ferry::store::sqlite {

base::Status SqliteError(int rc, std::string_view what, sqlite3* db) {
  std::string detail(what);
  detail += ": ";
  detail += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return base::Unavailable(std::move(detail));
    case SQLITE_CONSTRAINT:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return base::InvalidArgument(std::move(detail));
    default:
      return base::Internal(std::move(detail));
  }
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), bind_error_(other.bind_error_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = SQLITE_OK;
}

void Statement::Check(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::Bind(int index, std::string_view text) {
  Check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: data() of an empty view may be null.
  static const char kEmpty = 0;
  Check(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                            SQLITE_TRANSIENT));
}

void Statement::BindTextInPlace(int index, std::string_view text) {
  Check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::BindBlobInPlace(int index, std::string_view bytes) {
  static const char kEmpty = 0;
  Check(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                            SQLITE_STATIC));
}

base::Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) return SqliteError(bind_error_, "bind", nullptr);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, "step", db_);
}

base::Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return base::Status::Ok();
  }
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

std::string_view Statement::BlobView(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

base::Result<std::string> Statement::Payload(int col) const {
  if (ColumnType(col) == SQLITE_BLOB) return DecompressPayload(BlobView(col));
  return Text(col);
}

namespace {

// SQL's view of a payload column: ferry_payload(payload_json) is the event's JSON text
// whether the row holds an LZ4 frame or text (kRebuildIssueTags reads users with it).
void PayloadFunction(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  std::string_view frame(static_cast<const char*>(sqlite3_value_blob(argv[0])),
                         static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  auto json = DecompressPayload(frame);
  if (!json.ok()) {
    sqlite3_result_error(ctx, json.status().detail().c_str(), -1);
    return;
  }
  sqlite3_result_text64(ctx, json->data(), json->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

base::Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                           const SqliteOptions& options,
                                                           bool read_only) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    base::Status st = SqliteError(rc, "open " + path, db);
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Connection> conn(new Connection(db));
  rc = sqlite3_create_function_v2(db, "ferry_payload", 1,
                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                  PayloadFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, "register ferry_payload", db);
  std::string pragmas = "PRAGMA busy_timeout=" + std::to_string(options.busy_timeout_ms) +
                        ";PRAGMA foreign_keys=ON;PRAGMA synchronous=" +
                        (options.synchronous_full ? "FULL" : "NORMAL") + ";PRAGMA cache_size=-" +
                        std::to_string(options.cache_size_kib) + ";";
  if (read_only) pragmas += "PRAGMA query_only=ON;";
  FERRY_RETURN_IF_ERROR(conn->Exec(pragmas));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

base::Status Connection::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return base::Status::Ok();
  std::string what = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  base::Status st = SqliteError(rc, "exec", nullptr);
  return base::Status(st.code(), "exec: " + what);
}

base::Result<Statement> Connection::PrepareStatic(const char* sql) {
  auto it = static_cache_.find(sql);
  if (it != static_cache_.end()) return Statement(it->second, db_);
  auto stmt = Prepare(std::string(sql));
  if (!stmt.ok()) return stmt.status();
  static_cache_.emplace(sql, cache_.at(sql));
  return stmt;
}

base::Result<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second, db_);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, "prepare", db_);
  cache_.emplace(sql, stmt);
  return Statement(stmt, db_);
}

base::Result<std::unique_ptr<Transaction>> Transaction::Begin(Connection& conn, Mode mode) {
  FERRY_RETURN_IF_ERROR(conn.Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return std::unique_ptr<Transaction>(new Transaction(conn));
}

Transaction::~Transaction() {
  if (open_) (void)conn_.Exec("ROLLBACK");
}

base::Status Transaction::Commit() {
  base::Status st = conn_.Exec("COMMIT");
  // A failed COMMIT (e.g. a deferred foreign key violation) leaves the transaction open; the
  // destructor rolls it back.
  if (st.ok()) open_ = false;
  return st;
}

}  // namespace ferry::store::sqlite
