// Ingest (SaveEvents, AddItemCounts), issue and event queries, and retention.
#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <variant>

#include "base/strings.h"
#include "store/payload_codec.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace ferry::store::sqlite {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int kMaxListLimit = 1000;
constexpr int kDefaultListLimit = 100;
// Pending tag counts are written at least this often while events arrive (and at once when a
// read needs them): the longer the window, the more events share each upsert. The entry cap
// bounds the memory when values hardly repeat (about 100 bytes each).
constexpr size_t kTagFlushEvents = 50'000;
constexpr size_t kTagFlushEntries = 20'000;
constexpr auto kTagFlushInterval = std::chrono::seconds(5);

int64_t DayOf(int64_t ms) {
  return ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
}

int ClampLimit(int limit) {
  if (limit <= 0) return kDefaultListLimit;
  return std::min(limit, kMaxListLimit);
}

std::string StringsToJson(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    base::AppendJsonEscaped(out += '"', v);
    out += '"';
  }
  out += ']';
  return out;
}

// Written directly: it runs on the store's single writer thread, once per event.
std::string TagsToJson(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string out = "[";
  for (const auto& [k, v] : tags) {
    if (out.size() > 1) out += ',';
    base::AppendJsonEscaped(out += "[\"", k);
    base::AppendJsonEscaped(out += "\",\"", v);
    out += "\"]";
  }
  out += ']';
  return out;
}

// The stored arrays were written by the functions above; anything else reads as empty.
std::vector<std::string> JsonToStrings(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& item : v.get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> JsonToTags(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& item : v.get_array()) {
    const auto* pair = item.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
        !(*pair)[1].is_string()) {
      continue;
    }
    out.emplace_back(std::string((*pair)[0].get_string()), std::string((*pair)[1].get_string()));
  }
  return out;
}

constexpr char kIssueColumns[] =
    "i.id, i.project_id, i.grouping_hash, i.title, i.culprit, i.level, i.platform, i.status, "
    "i.first_seen_ms, i.last_seen_ms, i.count, i.user_count, i.type, i.metadata";

Issue ReadIssue(const Statement& s) {
  Issue issue;
  issue.id = s.Int(0);
  issue.project_id = s.Int(1);
  issue.grouping_hash = s.Text(2);
  issue.title = s.Text(3);
  issue.culprit = s.Text(4);
  issue.level = s.Text(5);
  issue.platform = s.Text(6);
  issue.status = ParseIssueStatus(s.Text(7)).value_or(IssueStatus::kUnresolved);
  issue.first_seen_ms = s.Int(8);
  issue.last_seen_ms = s.Int(9);
  issue.count = s.Int(10);
  issue.user_count = s.Int(11);
  issue.type = s.Text(12);
  issue.metadata_json = s.Text(13);
  return issue;
}

constexpr char kEventColumns[] =
    "e.id, e.issue_id, e.project_id, e.event_id, e.timestamp_ms, e.received_ms, e.level, "
    "e.platform, e.release, e.environment, e.message, e.title, e.culprit, e.grouping_hash, "
    "e.grouping_method, e.grouping_components, e.tags, e.payload_json";

// Returns the event's row id; fills `out`.
base::Result<int64_t> ReadEvent(const Statement& s, StoredEvent& out) {
  out.issue_id = s.Int(1);
  EventRecord& r = out.record;
  r.project_id = s.Int(2);
  r.event_id = s.Text(3);
  r.timestamp_ms = s.Int(4);
  r.received_ms = s.Int(5);
  r.level = s.Text(6);
  r.platform = s.Text(7);
  r.release = s.Text(8);
  r.environment = s.Text(9);
  r.message = s.Text(10);
  r.title = s.Text(11);
  r.culprit = s.Text(12);
  r.grouping_hash = s.Text(13);
  r.grouping_method = s.Text(14);
  r.grouping_components = JsonToStrings(s.Text(15));
  r.tags = JsonToTags(s.Text(16));
  auto payload = s.Payload(17);
  if (!payload.ok()) return payload.status();
  r.payload_json = std::move(payload).value();
  return s.Int(0);
}

base::Result<std::vector<Attachment>> ReadAttachments(Connection& conn, int64_t event_row,
                                                      bool with_data) {
  auto stmt = conn.Prepare(std::string("SELECT filename, content_type, attachment_type, size") +
                           (with_data ? ", data" : "") +
                           " FROM attachments WHERE event_row = ?1 ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(event_row);
  std::vector<Attachment> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    Attachment a{stmt->Text(0), stmt->Text(1), stmt->Text(2), with_data ? stmt->Blob(4) : "",
                 stmt->Int(3)};
    out.push_back(std::move(a));
  }
}

// Collects a query's rows as StoredEvents with attachment metadata.
base::Result<std::vector<StoredEvent>> ReadEvents(Connection& conn, Statement& stmt) {
  std::vector<std::pair<int64_t, StoredEvent>> rows;
  while (true) {
    auto row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    StoredEvent e;
    auto id = ReadEvent(stmt, e);
    if (!id.ok()) return id.status();
    rows.emplace_back(*id, std::move(e));
  }
  std::vector<StoredEvent> out;
  for (auto& [id, e] : rows) {
    auto attachments = ReadAttachments(conn, id, /*with_data=*/false);
    if (!attachments.ok()) return attachments.status();
    e.record.attachments = std::move(attachments).value();
    out.push_back(std::move(e));
  }
  return out;
}

// `text` as a LIKE pattern matching it anywhere, with the wildcards in it taken literally.
std::string ContainsPattern(const std::string& text) {
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  p += '%';
  return p;
}

}  // namespace

base::Result<std::vector<SaveResult>> SqliteStore::SaveEvents(
    const std::vector<EventRecord>& batch) {
  std::vector<SaveResult> results;
  if (batch.empty()) return results;
  results.reserve(batch.size());
  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  int64_t last_row = 0;
  // A batch that does not commit must not leave its counts pending: they are recounted from
  // the stored events by the next flush.
  struct RecountUnlessCommitted {
    SqliteStore* store;
    bool committed = false;
    ~RecountUnlessCommitted() {
      if (committed) return;
      store->recount_ = true;
      store->tags_pending_.store(true, std::memory_order_release);
    }
  } guard{this};
  if (pending_events_ == 0) pending_since_ = std::chrono::steady_clock::now();
  for (const EventRecord& record : batch) {
    int64_t row = 0;
    auto result = SaveOne(record, &row);
    if (!result.ok()) return result.status();
    if (!result->duplicate) {
      last_row = row;
      AddTags(pending_tags_, result->issue_id, record.tags, record.timestamp_ms);
      ++pending_events_;
    }
    results.push_back(*result);
  }
  if (last_row > 0) {
    pending_upto_row_ = last_row;
    tags_pending_.store(true, std::memory_order_release);
    if (pending_events_ >= kTagFlushEvents || pending_tags_.size() >= kTagFlushEntries ||
        std::chrono::steady_clock::now() - pending_since_ >= kTagFlushInterval) {
      FERRY_RETURN_IF_ERROR(FlushTagsLocked());
    }
  }
  base::Status committed = (*tx)->Commit();
  guard.committed = committed.ok();
  FERRY_RETURN_IF_ERROR(committed);
  return results;
}

base::Status SqliteStore::FlushTagsLocked() {
  Connection& c = *writer_;
  auto mark = c.Prepare("SELECT event_row FROM issue_tags_upto");
  if (!mark.ok()) return mark.status();
  auto row = mark->Step();
  if (!row.ok()) return row.status();
  const int64_t from = *row ? mark->Int(0) : 0;
  // Another process (a CLI command opening the store) counted events since: recount too.
  if (from != counted_upto_) recount_ = true;
  if (recount_) {
    // What is pending may hold a failed batch's counts, or counts already written: take them
    // from the stored events after the mark instead.
    pending_tags_.clear();
    auto events =
        c.Prepare("SELECT id, issue_id, tags, timestamp_ms FROM events WHERE id > ?1 ORDER BY id");
    if (!events.ok()) return events.status();
    events->BindAll(from);
    pending_upto_row_ = from;
    while (true) {
      auto next = events->Step();
      if (!next.ok()) return next.status();
      if (!*next) break;
      pending_upto_row_ = events->Int(0);
      AddTags(pending_tags_, events->Int(1), JsonToTags(events->Text(2)), events->Int(3));
    }
  }
  FERRY_RETURN_IF_ERROR(CountTagsLocked(pending_tags_));
  auto upto = c.Prepare("UPDATE issue_tags_upto SET event_row = max(event_row, ?1)");
  if (!upto.ok()) return upto.status();
  upto->BindAll(pending_upto_row_);
  FERRY_RETURN_IF_ERROR(upto->Run());
  // If the transaction this runs in does not commit, the caller's batch sets recount_ again.
  counted_upto_ = std::max(from, pending_upto_row_);
  pending_tags_.clear();
  pending_events_ = 0;
  recount_ = false;
  tags_pending_.store(false, std::memory_order_release);
  return base::Status::Ok();
}

base::Status SqliteStore::FlushPendingTags() {
  if (!tags_pending_.load(std::memory_order_acquire)) return base::Status::Ok();
  std::lock_guard lock(write_mu_);
  if (!tags_pending_.load(std::memory_order_relaxed) && !recount_) return base::Status::Ok();
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  FERRY_RETURN_IF_ERROR(FlushTagsLocked());
  base::Status committed = (*tx)->Commit();
  if (!committed.ok()) {
    recount_ = true;
    tags_pending_.store(true, std::memory_order_release);
  }
  return committed;
}

base::Status SqliteStore::RecoverTagCounts() {
  std::lock_guard lock(write_mu_);
  recount_ = true;
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  FERRY_RETURN_IF_ERROR(FlushTagsLocked());
  base::Status committed = (*tx)->Commit();
  if (!committed.ok()) recount_ = true;
  return committed;
}

SqliteStore::~SqliteStore() {
  // Best effort: what is not written now is recounted at the next open.
  try {
    (void)FlushPendingTags();
  } catch (...) {  // std::bad_alloc, say: the counts are recounted at the next open
  }
}

base::Result<SaveResult> SqliteStore::SaveOne(const EventRecord& r, int64_t* event_row_out) {
  Connection& c = *writer_;
  SaveResult result;
  {
    auto dup =
        c.PrepareStatic("SELECT issue_id FROM events WHERE project_id = ?1 AND event_id = ?2");
    if (!dup.ok()) return dup.status();
    dup->BindAll(r.project_id, r.event_id);
    auto row = dup->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      result.issue_id = dup->Int(0);
      result.duplicate = true;
      return result;
    }
  }
  struct Existing {
    int64_t id;
    IssueStatus status;
    int64_t last_seen_ms;
  };
  std::optional<Existing> existing;
  {
    auto find = c.PrepareStatic(
        "SELECT id, status, last_seen_ms FROM issues WHERE project_id = ?1 AND grouping_hash = ?2");
    if (!find.ok()) return find.status();
    find->BindAll(r.project_id, r.grouping_hash);
    auto row = find->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      existing =
          Existing{find->Int(0), ParseIssueStatus(find->Text(1)).value_or(IssueStatus::kUnresolved),
                   find->Int(2)};
    }
  }
  if (!existing) {
    auto insert = c.PrepareStatic(
        "INSERT INTO issues (project_id, grouping_hash, title, culprit, level, platform, "
        "status, first_seen_ms, last_seen_ms, count, type, metadata) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'unresolved', ?7, ?7, 1, ?8, ?9)");
    if (!insert.ok()) return insert.status();
    insert->BindAll(r.project_id, r.grouping_hash, r.title, r.culprit, r.level, r.platform,
                    r.timestamp_ms, r.type, r.metadata_json);
    FERRY_RETURN_IF_ERROR(insert->Run());
    result.issue_id = c.LastInsertId();
    result.new_issue = true;
  } else {
    result.issue_id = existing->id;
    IssueStatus status = existing->status;
    if (status == IssueStatus::kResolved) {
      status = IssueStatus::kUnresolved;
      result.regressed = true;
    }
    // An event that arrives late (older than the issue's last one) counts, but the issue keeps
    // describing its latest event.
    bool latest = r.timestamp_ms >= existing->last_seen_ms;
    auto update = c.PrepareStatic(
        "UPDATE issues SET count = count + 1, status = ?2, "
        "first_seen_ms = min(first_seen_ms, ?3), last_seen_ms = max(last_seen_ms, ?3), "
        "title = CASE WHEN ?4 THEN ?5 ELSE title END, "
        "culprit = CASE WHEN ?4 THEN ?6 ELSE culprit END, "
        "level = CASE WHEN ?4 THEN ?7 ELSE level END, "
        "type = CASE WHEN ?4 THEN ?8 ELSE type END, "
        "metadata = CASE WHEN ?4 THEN ?9 ELSE metadata END WHERE id = ?1");
    if (!update.ok()) return update.status();
    update->BindAll(result.issue_id, std::string(IssueStatusName(status)), r.timestamp_ms,
                    latest ? 1 : 0, r.title, r.culprit, r.level, r.type, r.metadata_json);
    FERRY_RETURN_IF_ERROR(update->Run());
  }
  auto insert = c.PrepareStatic(
      "INSERT INTO events (project_id, issue_id, event_id, timestamp_ms, received_ms, level, "
      "platform, release, environment, message, title, culprit, grouping_hash, "
      "grouping_method, grouping_components, tags, payload_json) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (!insert.ok()) return insert.status();
  insert->BindAll(r.project_id, result.issue_id, r.event_id, r.timestamp_ms, r.received_ms, r.level,
                  r.platform, r.release, r.environment, r.message, r.title, r.culprit,
                  r.grouping_hash, r.grouping_method, StringsToJson(r.grouping_components),
                  TagsToJson(r.tags));
  // The payload is most of the row: stored compressed, and read by SQLite from the record
  // instead of a copy.
  std::string compressed;
  if (r.payload_compressed.empty()) compressed = CompressPayload(r.payload_json);
  insert->BindBlobInPlace(17, r.payload_compressed.empty() ? compressed : r.payload_compressed);
  FERRY_RETURN_IF_ERROR(insert->Run());
  int64_t event_row = c.LastInsertId();
  *event_row_out = event_row;
  for (const Attachment& a : r.attachments) {
    auto att = c.PrepareStatic(
        "INSERT INTO attachments (event_row, filename, content_type, attachment_type, size, "
        "data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!att.ok()) return att.status();
    att->BindAll(event_row, a.filename, a.content_type, a.attachment_type,
                 static_cast<int64_t>(a.data.size()));
    att->BindBlobInPlace(6, a.data);
    FERRY_RETURN_IF_ERROR(att->Run());
  }
  auto day = c.PrepareStatic(
      "INSERT INTO issue_days (issue_id, day, count) VALUES (?1, ?2, 1) "
      "ON CONFLICT (issue_id, day) DO UPDATE SET count = count + 1");
  if (!day.ok()) return day.status();
  day->BindAll(result.issue_id, DayOf(r.timestamp_ms));
  FERRY_RETURN_IF_ERROR(day->Run());
  return result;
}

void SqliteStore::AddTags(TagCounts& counts, int64_t issue_id,
                          const std::vector<std::pair<std::string, std::string>>& tags,
                          int64_t timestamp_ms) {
  for (const auto& [key, value] : tags) {
    auto it = counts.find(TagView{issue_id, key, value});
    if (it == counts.end()) {
      it = counts.emplace(TagKey{issue_id, key, value}, TagCount{0, timestamp_ms, timestamp_ms})
               .first;
    }
    TagCount& t = it->second;
    t.first_seen_ms = std::min(t.first_seen_ms, timestamp_ms);
    t.last_seen_ms = std::max(t.last_seen_ms, timestamp_ms);
    ++t.count;
  }
}

base::Status SqliteStore::CountTagsLocked(const TagCounts& tags) {
  Connection& c = *writer_;
  std::map<int64_t, int64_t> new_users;  // issue -> users first seen in this batch
  // Most values are already counted: an UPDATE by primary key, and an INSERT only when it
  // changed nothing (an upsert with RETURNING cost twice as much per row).
  auto update = c.PrepareStatic(
      "UPDATE issue_tags SET count = count + ?4, first_seen_ms = min(first_seen_ms, ?5), "
      "last_seen_ms = max(last_seen_ms, ?6) WHERE issue_id = ?1 AND key = ?2 AND value = ?3");
  if (!update.ok()) return update.status();
  auto insert = c.PrepareStatic(
      "INSERT INTO issue_tags (issue_id, key, value, count, first_seen_ms, last_seen_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return insert.status();
  for (const auto& [where, t] : tags) {
    update->Reset();
    update->BindAll(where.issue_id, where.key, where.value, t.count, t.first_seen_ms,
                    t.last_seen_ms);
    FERRY_RETURN_IF_ERROR(update->Run());
    if (c.Changes() > 0) continue;
    insert->Reset();
    insert->BindAll(where.issue_id, where.key, where.value, t.count, t.first_seen_ms,
                    t.last_seen_ms);
    FERRY_RETURN_IF_ERROR(insert->Run());
    if (where.key == "user") ++new_users[where.issue_id];
  }
  update->Reset();
  insert->Reset();
  for (const auto& [issue_id, n] : new_users) {
    auto users = c.PrepareStatic("UPDATE issues SET user_count = user_count + ?2 WHERE id = ?1");
    if (!users.ok()) return users.status();
    users->BindAll(issue_id, n);
    FERRY_RETURN_IF_ERROR(users->Run());
  }
  return base::Status::Ok();
}

base::Status SqliteStore::UncountTagsLocked(int64_t event_row) {
  Connection& c = *writer_;
  auto select = c.Prepare("SELECT issue_id, tags FROM events WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->BindAll(event_row);
  auto found = select->Step();
  if (!found.ok()) return found.status();
  if (!*found) return base::Status::Ok();
  const int64_t issue_id = select->Int(0);
  const auto tags = JsonToTags(select->Text(1));
  int64_t gone_users = 0;
  for (const auto& [key, value] : tags) {
    auto down = c.Prepare(
        "UPDATE issue_tags SET count = count - 1 WHERE issue_id = ?1 AND key = ?2 AND value = ?3 "
        "RETURNING count");
    if (!down.ok()) return down.status();
    down->BindAll(issue_id, key, value);
    auto row = down->Step();
    if (!row.ok()) return row.status();
    if (!*row || down->Int(0) > 0) continue;
    auto drop = c.Prepare("DELETE FROM issue_tags WHERE issue_id = ?1 AND key = ?2 AND value = ?3");
    if (!drop.ok()) return drop.status();
    drop->BindAll(issue_id, key, value);
    FERRY_RETURN_IF_ERROR(drop->Run());
    if (key == "user") ++gone_users;
  }
  if (gone_users == 0) return base::Status::Ok();
  auto users = c.Prepare("UPDATE issues SET user_count = max(0, user_count - ?2) WHERE id = ?1");
  if (!users.ok()) return users.status();
  users->BindAll(issue_id, gone_users);
  return users->Run();
}

base::Result<ProjectStats> SqliteStore::GetProjectStats(int64_t project_id, int64_t now_ms,
                                                        int64_t since_day) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  ProjectStats out;
  auto counts = (*conn)->Prepare(
      "SELECT (SELECT count(*) FROM issues WHERE project_id = ?1 AND status = 'unresolved'), "
      "(SELECT count(*) FROM events WHERE received_ms >= ?2 AND project_id = ?1)");
  if (!counts.ok()) return counts.status();
  counts->BindAll(project_id, now_ms - int64_t{86'400'000});
  auto row = counts->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    out.open_issues = counts->Int(0);
    out.events_24h = counts->Int(1);
  }
  auto daily = (*conn)->Prepare(
      "SELECT d.day, sum(d.count) FROM issue_days d JOIN issues i ON i.id = d.issue_id "
      "WHERE i.project_id = ?1 AND d.day >= ?2 GROUP BY d.day ORDER BY d.day");
  if (!daily.ok()) return daily.status();
  daily->BindAll(project_id, since_day);
  while (true) {
    auto next = daily->Step();
    if (!next.ok()) return next.status();
    if (!*next) return out;
    out.daily.emplace_back(daily->Int(0), daily->Int(1));
  }
}

base::Result<std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>>>
SqliteStore::IssuesDailyCounts(const std::vector<int64_t>& issue_ids, int64_t since_day) {
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> out;
  if (issue_ids.empty()) return out;
  if (issue_ids.size() > 1000) return base::InvalidArgument("more than 1000 issues");
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  // One statement per page of issues, the ids as a JSON array: the text (and the cached
  // statement) does not depend on how many there are.
  std::string ids = "[";
  for (size_t i = 0; i < issue_ids.size(); ++i) {
    if (i > 0) ids += ',';
    ids += std::to_string(issue_ids[i]);
  }
  ids += ']';
  auto stmt = (*conn)->Prepare(
      "SELECT issue_id, day, count FROM issue_days WHERE issue_id IN "
      "(SELECT value FROM json_each(?1)) AND day >= ?2 ORDER BY issue_id, day");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(ids, since_day);
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out[stmt->Int(0)].emplace_back(stmt->Int(1), stmt->Int(2));
  }
}

base::Result<int64_t> SqliteStore::CountIssueEvents(int64_t issue_id) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare("SELECT count(*) FROM events WHERE issue_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(issue_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->Int(0) : 0;
}

base::Result<bool> SqliteStore::HasTagKey(int64_t project_id, const std::string& key) {
  FERRY_RETURN_IF_ERROR(FlushPendingTags());
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT EXISTS (SELECT 1 FROM issue_tags t JOIN issues i ON i.id = t.issue_id "
      "WHERE t.key = ?2 AND (?1 = 0 OR i.project_id = ?1))");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(project_id, key);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row && stmt->Int(0) != 0;
}

base::Result<std::vector<TagValueCount>> SqliteStore::IssueTagValues(int64_t issue_id,
                                                                     const std::string& key,
                                                                     int per_key) {
  FERRY_RETURN_IF_ERROR(FlushPendingTags());
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  // The top values of each key, by a window over the issue's rows (few: one per value).
  auto stmt = (*conn)->Prepare(
      "SELECT key, value, count, first_seen_ms, last_seen_ms FROM ("
      "SELECT key, value, count, first_seen_ms, last_seen_ms, row_number() OVER "
      "(PARTITION BY key ORDER BY count DESC, value) AS rank FROM issue_tags "
      "WHERE issue_id = ?1 AND (?2 = '' OR key = ?2)) WHERE rank <= ?3 "
      "ORDER BY key, count DESC, value");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(issue_id, key, std::max(1, per_key));
  std::vector<TagValueCount> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({stmt->Text(0), stmt->Text(1), stmt->Int(2), stmt->Int(3), stmt->Int(4)});
  }
}

base::Status SqliteStore::AddItemCounts(const std::vector<ItemCount>& counts) {
  if (counts.empty()) return base::Status::Ok();
  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  for (const ItemCount& ic : counts) {
    auto stmt = writer_->Prepare(
        "INSERT INTO item_counts (project_id, category, day, count) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (project_id, category, day) DO UPDATE SET count = count + excluded.count");
    if (!stmt.ok()) return stmt.status();
    stmt->BindAll(ic.project_id, ic.category, ic.day, ic.count);
    FERRY_RETURN_IF_ERROR(stmt->Run());
  }
  return (*tx)->Commit();
}

base::Result<std::vector<Issue>> SqliteStore::ListIssues(const IssueQuery& q) {
  if (q.tags.size() > IssueQuery::kMaxTagFilters) {
    return base::InvalidArgument("more than " + std::to_string(IssueQuery::kMaxTagFilters) +
                                 " tag filters");
  }
  FERRY_RETURN_IF_ERROR(FlushPendingTags());
  // The SQL text varies only with which filters are set, so the statement cache holds at most
  // one statement per combination.
  std::vector<std::variant<int64_t, std::string>> args{q.project_id};
  auto arg = [&args](std::variant<int64_t, std::string> v) {
    args.push_back(std::move(v));
    return "?" + std::to_string(args.size());
  };
  // Project 0: every project (the UI's list across them).
  std::string sql = std::string("SELECT ") + kIssueColumns + " FROM issues i WHERE " +
                    (q.project_id != 0 ? "i.project_id = ?1" : "?1 = 0");
  if (q.status) sql += " AND i.status = " + arg(std::string(IssueStatusName(*q.status)));
  if (!q.level.empty()) sql += " AND i.level = " + arg(q.level);
  if (q.since_ms > 0) sql += " AND i.last_seen_ms >= " + arg(q.since_ms);
  // The environment and release tags are the events' fields (event/tags.h TakeReservedTags):
  // one primary-key probe of the tag counts per issue.
  if (!q.environment.empty()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM issue_tags t WHERE t.issue_id = i.id AND "
        "t.key = 'environment' AND t.value = " +
        arg(q.environment) + ")";
  }
  if (!q.release.empty()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM issue_tags t WHERE t.issue_id = i.id AND "
        "t.key = 'release' AND t.value = " +
        arg(q.release) + ")";
  }
  // Negation is a bound value, so the text (and the cached statement) depends only on how
  // many tag filters there are.
  for (const IssueQuery::TagFilter& tag : q.tags) {
    sql += " AND EXISTS (SELECT 1 FROM issue_tags t WHERE t.issue_id = i.id AND t.key = ";
    sql += arg(tag.key);
    sql += " AND t.value = ";
    sql += arg(tag.value);
    sql += ") = ";
    sql += arg(int64_t{tag.negated ? 0 : 1});
  }
  if (!q.text.empty()) {
    // LIKE folds ASCII case only; non-ASCII text matches case-sensitively.
    std::string p = arg(ContainsPattern(q.text));
    sql += " AND (i.title LIKE " + p + " ESCAPE '\\' OR i.culprit LIKE " + p +
           " ESCAPE '\\' OR EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id AND "
           "e.message LIKE " +
           p + " ESCAPE '\\'))";
  }
  switch (q.sort) {
    case IssueSort::kLastSeen:
      sql += " ORDER BY i.last_seen_ms DESC, i.id DESC";
      break;
    case IssueSort::kFirstSeen:
      sql += " ORDER BY i.first_seen_ms DESC, i.id DESC";
      break;
    case IssueSort::kEvents:
      sql += " ORDER BY i.count DESC, i.last_seen_ms DESC, i.id DESC";
      break;
    case IssueSort::kUsers:
      sql += " ORDER BY i.user_count DESC, i.last_seen_ms DESC, i.id DESC";
      break;
  }
  sql += " LIMIT " + arg(int64_t{ClampLimit(q.limit)}) + " OFFSET " +
         arg(std::max<int64_t>(0, q.offset));

  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  for (size_t i = 0; i < args.size(); ++i) {
    std::visit([&](const auto& v) { stmt->Bind(static_cast<int>(i + 1), v); }, args[i]);
  }
  std::vector<Issue> issues;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return issues;
    issues.push_back(ReadIssue(*stmt));
  }
}

base::Result<std::optional<Issue>> SqliteStore::FindIssue(int64_t id) {
  FERRY_RETURN_IF_ERROR(FlushPendingTags());
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt =
      (*conn)->Prepare(std::string("SELECT ") + kIssueColumns + " FROM issues i WHERE i.id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Issue>();
  return std::optional<Issue>(ReadIssue(*stmt));
}

base::Status SqliteStore::SetIssueStatus(int64_t id, IssueStatus status) {
  std::lock_guard lock(write_mu_);
  auto stmt = writer_->Prepare("UPDATE issues SET status = ?2 WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(id, std::string(IssueStatusName(status)));
  FERRY_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return base::NotFound("issue " + std::to_string(id) + " not found");
  return base::Status::Ok();
}

base::Result<std::vector<StoredEvent>> SqliteStore::ListIssueEvents(int64_t issue_id, int limit,
                                                                    int64_t offset) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto tx = Transaction::Begin(**conn, Transaction::Mode::kRead);
  if (!tx.ok()) return tx.status();
  auto stmt = (*conn)->Prepare(std::string("SELECT ") + kEventColumns +
                               " FROM events e WHERE e.issue_id = ?1 "
                               "ORDER BY e.timestamp_ms DESC, e.id DESC LIMIT ?2 OFFSET ?3");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(issue_id, ClampLimit(limit), std::max<int64_t>(0, offset));
  return ReadEvents(**conn, *stmt);
}

base::Result<std::optional<StoredEvent>> SqliteStore::FindEvent(int64_t project_id,
                                                                const std::string& event_id) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto tx = Transaction::Begin(**conn, Transaction::Mode::kRead);
  if (!tx.ok()) return tx.status();
  auto stmt = (*conn)->Prepare(std::string("SELECT ") + kEventColumns +
                               " FROM events e WHERE e.project_id = ?1 AND e.event_id = ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(project_id, event_id);
  auto events = ReadEvents(**conn, *stmt);
  if (!events.ok()) return events.status();
  if (events->empty()) return std::optional<StoredEvent>();
  return std::optional<StoredEvent>(std::move(events->front()));
}

base::Result<std::vector<Attachment>> SqliteStore::ListAttachments(int64_t project_id,
                                                                   const std::string& event_id) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto tx = Transaction::Begin(**conn, Transaction::Mode::kRead);
  if (!tx.ok()) return tx.status();
  auto stmt = (*conn)->Prepare("SELECT id FROM events WHERE project_id = ?1 AND event_id = ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(project_id, event_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::vector<Attachment>();
  return ReadAttachments(**conn, stmt->Int(0), /*with_data=*/true);
}

base::Result<std::vector<std::pair<int64_t, int64_t>>> SqliteStore::IssueDailyCounts(
    int64_t issue_id, int64_t since_day) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT day, count FROM issue_days WHERE issue_id = ?1 AND day >= ?2 ORDER BY day");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(issue_id, since_day);
  std::vector<std::pair<int64_t, int64_t>> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.emplace_back(stmt->Int(0), stmt->Int(1));
  }
}

base::Result<std::vector<ItemCount>> SqliteStore::ListItemCounts(int64_t project_id) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT project_id, category, day, count FROM item_counts WHERE project_id = ?1 "
      "ORDER BY day, category");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(project_id);
  std::vector<ItemCount> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ItemCount{stmt->Int(0), stmt->Text(1), stmt->Int(2), stmt->Int(3)});
  }
}

base::Status SqliteStore::DeleteEventRowsLocked(const std::vector<int64_t>& rows,
                                                const std::set<int64_t>& issues) {
  // The tags of the rows about to go must be in issue_tags to be taken out.
  if (tags_pending_.load(std::memory_order_relaxed) || recount_) {
    FERRY_RETURN_IF_ERROR(FlushTagsLocked());
  }
  for (int64_t row : rows) {
    FERRY_RETURN_IF_ERROR(UncountTagsLocked(row));
    for (const char* sql :
         {"DELETE FROM attachments WHERE event_row = ?1", "DELETE FROM events WHERE id = ?1"}) {
      auto stmt = writer_->Prepare(sql);
      if (!stmt.ok()) return stmt.status();
      stmt->BindAll(row);
      FERRY_RETURN_IF_ERROR(stmt->Run());
    }
  }
  for (int64_t issue : issues) {
    auto left = writer_->Prepare("SELECT EXISTS (SELECT 1 FROM events WHERE issue_id = ?1)");
    if (!left.ok()) return left.status();
    left->BindAll(issue);
    auto row = left->Step();
    if (!row.ok()) return row.status();
    if (left->Int(0) != 0) continue;
    for (const char* sql :
         {"DELETE FROM issue_days WHERE issue_id = ?1",
          "DELETE FROM issue_tags WHERE issue_id = ?1", "DELETE FROM issues WHERE id = ?1"}) {
      auto stmt = writer_->Prepare(sql);
      if (!stmt.ok()) return stmt.status();
      stmt->BindAll(issue);
      FERRY_RETURN_IF_ERROR(stmt->Run());
    }
  }
  return base::Status::Ok();
}

base::Status SqliteStore::SelectEventRowsLocked(const char* sql, int64_t a, int64_t b,
                                                std::vector<int64_t>& rows,
                                                std::set<int64_t>& issues) {
  auto stmt = writer_->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(a, b);
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    rows.push_back(stmt->Int(0));
    issues.insert(stmt->Int(1));
  }
  return base::Status::Ok();
}

base::Result<int64_t> SqliteStore::DeleteEventsBefore(int64_t cutoff_ms, int batch) {
  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  std::vector<int64_t> rows;
  std::set<int64_t> issues;
  FERRY_RETURN_IF_ERROR(SelectEventRowsLocked(
      "SELECT id, issue_id FROM events WHERE received_ms < ?1 ORDER BY received_ms LIMIT ?2",
      cutoff_ms, std::max(1, batch), rows, issues));
  FERRY_RETURN_IF_ERROR(DeleteEventRowsLocked(rows, issues));
  FERRY_RETURN_IF_ERROR((*tx)->Commit());
  return static_cast<int64_t>(rows.size());
}

base::Result<int64_t> SqliteStore::TrimProjectEvents(int64_t project_id, int64_t keep, int batch) {
  // Counted on a reader (a covering index scan), so the writer is not held while counting.
  int64_t stored = 0;
  {
    auto reader = readers_.Acquire();
    if (!reader.ok()) return reader.status();
    auto count = (*reader)->Prepare("SELECT count(*) FROM events WHERE project_id = ?1");
    if (!count.ok()) return count.status();
    count->BindAll(project_id);
    auto row = count->Step();
    if (!row.ok()) return row.status();
    stored = count->Int(0);
  }
  if (stored <= keep) return int64_t{0};
  const int64_t limit = std::min<int64_t>(stored - keep, std::max(1, batch));

  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  std::vector<int64_t> rows;
  std::set<int64_t> issues;
  // Oldest first: ids grow with arrival, and walking the table in id order (NOT INDEXED)
  // stops after `limit` rows instead of sorting the whole project. An event with a newer one
  // in its issue may go, so every issue keeps its newest event.
  FERRY_RETURN_IF_ERROR(SelectEventRowsLocked(
      "SELECT e.id, e.issue_id FROM events e NOT INDEXED WHERE e.project_id = ?1 AND EXISTS "
      "(SELECT 1 FROM events n WHERE n.issue_id = e.issue_id AND n.id > e.id) "
      "ORDER BY e.id LIMIT ?2",
      project_id, limit, rows, issues));
  if (rows.empty()) {
    // Every stored event is the only one of its issue (events that do not group, say): then
    // the oldest issues go with their events, or the cap would not hold.
    FERRY_RETURN_IF_ERROR(SelectEventRowsLocked(
        "SELECT id, issue_id FROM events NOT INDEXED WHERE project_id = ?1 ORDER BY id LIMIT ?2",
        project_id, limit, rows, issues));
  }
  FERRY_RETURN_IF_ERROR(DeleteEventRowsLocked(rows, issues));
  FERRY_RETURN_IF_ERROR((*tx)->Commit());
  return static_cast<int64_t>(rows.size());
}

}  // namespace ferry::store::sqlite
