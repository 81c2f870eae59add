// Export, Import and Wipe. Both directions are driven by one table of row kinds and columns,
// so a column added by a migration is added here once and backups carry it.
#include <boost/json.hpp>
#include <span>

#include "store/base64.h"
#include "store/payload_codec.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace ferry::store::sqlite {
namespace {

// kPayload: an event's JSON, a string in the backup and an LZ4 frame in the store.
enum class Type { kInt, kText, kBool, kBlob, kPayload };

struct Column {
  const char* name;
  Type type;
  // Backups written before the column existed lack it: they restore with the column's
  // default (0, "" or false) instead of being refused.
  bool optional = false;
};

struct RowKind {
  const char* kind;
  const char* table;
  const char* order_by;
  bool config;  // part of a --config-only backup
  std::span<const Column> columns;
};

constexpr Column kUser[] = {{"id", Type::kInt},
                            {"email", Type::kText},
                            {"password_hash", Type::kText},
                            {"superuser", Type::kBool},
                            {"created_ms", Type::kInt}};
constexpr Column kToken[] = {
    {"token_sha256", Type::kText}, {"user_id", Type::kInt}, {"created_ms", Type::kInt}};
constexpr Column kProject[] = {{"id", Type::kInt},
                               {"slug", Type::kText},
                               {"name", Type::kText},
                               {"platform", Type::kText},
                               {"created_ms", Type::kInt}};
constexpr Column kKey[] = {{"public_key", Type::kText},
                           {"project_id", Type::kInt},
                           {"secret", Type::kText},
                           {"enabled", Type::kBool},
                           {"created_ms", Type::kInt}};
constexpr Column kIssue[] = {{"id", Type::kInt},
                             {"project_id", Type::kInt},
                             {"grouping_hash", Type::kText},
                             {"title", Type::kText},
                             {"culprit", Type::kText},
                             {"level", Type::kText},
                             {"platform", Type::kText},
                             {"status", Type::kText},
                             {"first_seen_ms", Type::kInt},
                             {"last_seen_ms", Type::kInt},
                             {"count", Type::kInt},
                             {"type", Type::kText, true},
                             {"metadata", Type::kText, true}};
constexpr Column kIssueDay[] = {
    {"issue_id", Type::kInt}, {"day", Type::kInt}, {"count", Type::kInt}};
constexpr Column kEvent[] = {{"id", Type::kInt},
                             {"project_id", Type::kInt},
                             {"issue_id", Type::kInt},
                             {"event_id", Type::kText},
                             {"timestamp_ms", Type::kInt},
                             {"received_ms", Type::kInt},
                             {"level", Type::kText},
                             {"platform", Type::kText},
                             {"release", Type::kText},
                             {"environment", Type::kText},
                             {"message", Type::kText},
                             {"title", Type::kText},
                             {"culprit", Type::kText},
                             {"grouping_hash", Type::kText},
                             {"grouping_method", Type::kText},
                             {"grouping_components", Type::kText},
                             {"tags", Type::kText},
                             {"payload_json", Type::kPayload}};
constexpr Column kAttachment[] = {{"id", Type::kInt},
                                  {"event_row", Type::kInt},
                                  {"filename", Type::kText},
                                  {"content_type", Type::kText},
                                  {"attachment_type", Type::kText},
                                  {"size", Type::kInt},
                                  {"data", Type::kBlob}};
constexpr Column kItemCount[] = {{"project_id", Type::kInt},
                                 {"category", Type::kText},
                                 {"day", Type::kInt},
                                 {"count", Type::kInt}};

// Dependency order: every row comes after the rows it references.
constexpr RowKind kKinds[] = {
    {"user", "users", "id", true, kUser},
    {"token", "tokens", "token_sha256", true, kToken},
    {"project", "projects", "id", true, kProject},
    {"key", "project_keys", "public_key", true, kKey},
    {"issue", "issues", "id", false, kIssue},
    {"issue_day", "issue_days", "issue_id, day", false, kIssueDay},
    {"event", "events", "id", false, kEvent},
    {"attachment", "attachments", "id", false, kAttachment},
    {"item_count", "item_counts", "project_id, category, day", false, kItemCount},
};

std::string ColumnList(const RowKind& kind) {
  std::string out;
  for (const Column& c : kind.columns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

base::Status BindField(Statement& stmt, int index, const RowKind& kind, const Column& column,
                       const boost::json::object& row) {
  auto bad = [&](const char* what) {
    return base::InvalidArgument(std::string("backup row \"") + kind.kind + "\": \"" + column.name +
                                 "\" " + what);
  };
  const boost::json::value* v = row.if_contains(column.name);
  if (v == nullptr && column.optional) {
    if (column.type == Type::kText) {
      stmt.Bind(index, "");
    } else {
      stmt.Bind(index, 0);
    }
    return base::Status::Ok();
  }
  if (v == nullptr) return bad("is missing");
  switch (column.type) {
    case Type::kInt:
      if (!v->is_int64()) return bad("is not an integer");
      stmt.Bind(index, v->get_int64());
      return base::Status::Ok();
    case Type::kBool:
      if (!v->is_bool()) return bad("is not a boolean");
      stmt.Bind(index, v->get_bool() ? 1 : 0);
      return base::Status::Ok();
    case Type::kText:
      if (!v->is_string()) return bad("is not a string");
      stmt.Bind(index, std::string_view(v->get_string()));
      return base::Status::Ok();
    case Type::kBlob: {
      if (!v->is_string()) return bad("is not a string");
      auto bytes = Base64Decode(v->get_string());
      if (!bytes) return bad("is not base64");
      stmt.BindBlob(index, *bytes);
      return base::Status::Ok();
    }
    case Type::kPayload:
      if (!v->is_string()) return bad("is not a string");
      stmt.BindBlob(index, CompressPayload(v->get_string()));
      return base::Status::Ok();
  }
  return bad("has an unknown type");
}

}  // namespace

base::Status SqliteStore::Export(bool config_only,
                                 const std::function<base::Status(const BackupRow&)>& sink) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  // One read transaction: WAL keeps this snapshot while the writer goes on committing.
  auto tx = Transaction::Begin(**conn, Transaction::Mode::kRead);
  if (!tx.ok()) return tx.status();
  for (const RowKind& kind : kKinds) {
    if (config_only && !kind.config) continue;
    auto stmt = (*conn)->Prepare("SELECT " + ColumnList(kind) + " FROM " + kind.table +
                                 " ORDER BY " + kind.order_by);
    if (!stmt.ok()) return stmt.status();
    while (true) {
      auto more = stmt->Step();
      if (!more.ok()) return more.status();
      if (!*more) break;
      boost::json::object row;
      for (size_t i = 0; i < kind.columns.size(); ++i) {
        const Column& c = kind.columns[i];
        int col = static_cast<int>(i);
        switch (c.type) {
          case Type::kInt:
            row[c.name] = stmt->Int(col);
            break;
          case Type::kBool:
            row[c.name] = stmt->Int(col) != 0;
            break;
          case Type::kText:
            row[c.name] = stmt->Text(col);
            break;
          case Type::kBlob:
            row[c.name] = Base64Encode(stmt->Blob(col));
            break;
          case Type::kPayload: {
            auto json = stmt->Payload(col);
            if (!json.ok()) return json.status();
            row[c.name] = *json;
            break;
          }
        }
      }
      FERRY_RETURN_IF_ERROR(sink(BackupRow{kind.kind, boost::json::serialize(row)}));
    }
  }
  return base::Status::Ok();
}

base::Status SqliteStore::Import(
    const std::function<base::Result<std::optional<BackupRow>>()>& next_row) {
  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  // References are checked at COMMIT, so a bad backup still rolls back as a whole.
  FERRY_RETURN_IF_ERROR(writer_->Exec("PRAGMA defer_foreign_keys=ON"));
  FERRY_RETURN_IF_ERROR(DeleteAllLocked());
  while (true) {
    auto next = next_row();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const BackupRow& row = **next;
    const RowKind* kind = nullptr;
    for (const RowKind& k : kKinds) {
      if (row.kind == k.kind) kind = &k;
    }
    if (kind == nullptr)
      return base::InvalidArgument("unknown backup row kind \"" + row.kind + "\"");
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(row.json, ec);
    if (ec || !parsed.is_object()) {
      return base::InvalidArgument("backup row \"" + row.kind + "\" is not a JSON object");
    }
    std::string placeholders;
    for (size_t i = 1; i <= kind->columns.size(); ++i) {
      placeholders += (i > 1 ? ", ?" : "?") + std::to_string(i);
    }
    auto stmt = writer_->Prepare(std::string("INSERT INTO ") + kind->table + " (" +
                                 ColumnList(*kind) + ") VALUES (" + placeholders + ")");
    if (!stmt.ok()) return stmt.status();
    for (size_t i = 0; i < kind->columns.size(); ++i) {
      FERRY_RETURN_IF_ERROR(
          BindField(*stmt, static_cast<int>(i + 1), *kind, kind->columns[i], parsed.get_object()));
    }
    base::Status st = stmt->Run();
    if (!st.ok()) {
      return base::Status(st.code(), "restoring a \"" + row.kind + "\" row: " + st.detail());
    }
  }
  // Derived from the events, so not in backups: rebuilt here as migration 2 built them.
  FERRY_RETURN_IF_ERROR(writer_->Exec(kRebuildIssueTags));
  base::Status st = (*tx)->Commit();
  if (st.code() == base::Code::kInvalidArgument) {
    return base::InvalidArgument("backup is inconsistent: " + st.detail());
  }
  return st;
}

base::Status SqliteStore::DeleteAllLocked() {
  // Pending counts are of rows about to go; should the transaction roll back, the next flush
  // recounts them from the events.
  pending_tags_.clear();
  pending_events_ = 0;
  recount_ = true;
  tags_pending_.store(true, std::memory_order_release);
  FERRY_RETURN_IF_ERROR(writer_->Exec("DELETE FROM issue_tags"));
  FERRY_RETURN_IF_ERROR(writer_->Exec("DELETE FROM sessions"));
  for (auto it = std::rbegin(kKinds); it != std::rend(kKinds); ++it) {
    FERRY_RETURN_IF_ERROR(writer_->Exec(std::string("DELETE FROM ") + it->table));
  }
  return base::Status::Ok();
}

base::Status SqliteStore::Wipe() {
  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  FERRY_RETURN_IF_ERROR(DeleteAllLocked());
  return (*tx)->Commit();
}

}  // namespace ferry::store::sqlite
