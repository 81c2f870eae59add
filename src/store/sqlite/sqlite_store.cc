// Opening the store, the reader pool, projects, keys, users and tokens.
#include "store/sqlite/sqlite_store.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "base/clock.h"
#include "base/strings.h"
#include "store/credentials.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace ferry::store::sqlite {
namespace {

constexpr size_t kMaxProjectNameLength = 200;
constexpr size_t kMaxPlatformLength = 64;
constexpr size_t kMaxEmailLength = 254;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             base::RealClock().Now().time_since_epoch())
      .count();
}

// "My App (prod)" → "my-app-prod": lowercase ASCII letters and digits, runs of anything else
// folded into one dash, no dash at either end.
std::string Slugify(std::string_view name) {
  std::string slug;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      slug += c;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

constexpr char kUserColumns[] = "id, email, password_hash, superuser";

User ReadUser(const Statement& stmt) {
  User user;
  user.id = stmt.Int(0);
  user.email = stmt.Text(1);
  user.password_hash = stmt.Text(2);
  user.superuser = stmt.Int(3) != 0;
  return user;
}

}  // namespace

base::Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                     const SqliteOptions& options) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return base::Unavailable("cannot create " + parent.string() + ": " + ec.message());
  }
  auto writer = Connection::Open(path, options, /*read_only=*/false);
  if (!writer.ok()) return writer.status();
  // journal_mode is a property of the file: set once here, every later connection sees it.
  FERRY_RETURN_IF_ERROR((*writer)->Exec("PRAGMA journal_mode=WAL"));
  // Only the writer commits, so only its connection checkpoints; the WAL file is truncated
  // back after a checkpoint instead of keeping its largest size.
  FERRY_RETURN_IF_ERROR((*writer)->Exec(
      "PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages) +
      ";PRAGMA journal_size_limit=67108864"));
  FERRY_RETURN_IF_ERROR(ApplyMigrations(**writer, Migrations()));
  auto store = std::make_unique<SqliteStore>(path, options, std::move(writer).value());
  FERRY_RETURN_IF_ERROR(store->RecoverTagCounts());
  return std::unique_ptr<Store>(std::move(store));
}

base::Result<ReaderPool::Lease> ReaderPool::Acquire() {
  std::unique_lock lock(mu_);
  while (true) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < std::max(1, options_.max_readers)) break;
    cv_.wait(lock);
  }
  ++open_;
  lock.unlock();
  auto conn = Connection::Open(path_, options_, /*read_only=*/true);
  if (!conn.ok()) {
    std::lock_guard relock(mu_);
    --open_;
    cv_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(conn).value());
}

void ReaderPool::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
  cv_.notify_one();
}

base::Status SqliteStore::LoadKeys(Connection& conn, Project& project) {
  auto stmt = conn.Prepare(
      "SELECT public_key, secret, enabled FROM project_keys WHERE project_id = ?1 "
      "ORDER BY created_ms, public_key");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(project.id);
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return base::Status::Ok();
    project.keys.push_back(ProjectKey{project.id, stmt->Text(0), stmt->Text(1), stmt->Int(2) != 0});
  }
}

base::Result<std::optional<Project>> SqliteStore::QueryProject(Connection& conn,
                                                               const std::string& where,
                                                               const std::string& arg, int64_t id) {
  auto stmt =
      conn.Prepare("SELECT id, slug, name, platform, created_ms FROM projects WHERE " + where);
  if (!stmt.ok()) return stmt.status();
  if (where.starts_with("id")) {
    stmt->BindAll(id);
  } else {
    stmt->BindAll(arg);
  }
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Project>();
  Project p{stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Int(4), {}};
  FERRY_RETURN_IF_ERROR(LoadKeys(conn, p));
  return std::optional<Project>(std::move(p));
}

base::Result<Project> SqliteStore::CreateProject(const std::string& name,
                                                 const std::string& platform) {
  std::string trimmed(base::Trim(name));
  std::string slug = Slugify(trimmed);
  if (slug.empty()) return base::InvalidArgument("project name needs a letter or a digit");
  if (trimmed.size() > kMaxProjectNameLength) return base::InvalidArgument("project name too long");
  if (platform.size() > kMaxPlatformLength) return base::InvalidArgument("platform too long");

  std::lock_guard lock(write_mu_);
  auto tx = Transaction::Begin(*writer_, Transaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  auto existing = QueryProject(*writer_, "slug = ?1", slug, 0);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return base::InvalidArgument("project \"" + slug + "\" exists");

  Project project{0, slug, trimmed, platform, NowMs(), {}};
  auto insert = writer_->Prepare(
      "INSERT INTO projects (slug, name, platform, created_ms) VALUES (?1, ?2, ?3, ?4)");
  if (!insert.ok()) return insert.status();
  insert->BindAll(project.slug, project.name, project.platform, project.created_ms);
  FERRY_RETURN_IF_ERROR(insert->Run());
  project.id = writer_->LastInsertId();

  ProjectKey key{project.id, NewPublicKey(), "", true};
  auto insert_key = writer_->Prepare(
      "INSERT INTO project_keys (public_key, project_id, secret, enabled, created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert_key.ok()) return insert_key.status();
  insert_key->BindAll(key.public_key, key.project_id, key.secret, 1, project.created_ms);
  FERRY_RETURN_IF_ERROR(insert_key->Run());
  FERRY_RETURN_IF_ERROR((*tx)->Commit());
  project.keys.push_back(std::move(key));
  return project;
}

base::Status SqliteStore::SetKeyEnabled(const std::string& public_key, bool enabled) {
  std::lock_guard lock(write_mu_);
  auto stmt = writer_->Prepare("UPDATE project_keys SET enabled = ?2 WHERE public_key = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(public_key, enabled ? 1 : 0);
  FERRY_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return base::NotFound("no project key " + public_key);
  return base::Status::Ok();
}

base::Result<std::vector<Project>> SqliteStore::ListProjects() {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto tx = Transaction::Begin(**conn, Transaction::Mode::kRead);
  if (!tx.ok()) return tx.status();
  auto stmt =
      (*conn)->Prepare("SELECT id, slug, name, platform, created_ms FROM projects ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  std::vector<Project> projects;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    projects.push_back(
        Project{stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Int(4), {}});
  }
  for (Project& p : projects) FERRY_RETURN_IF_ERROR(LoadKeys(**conn, p));
  return projects;
}

base::Result<std::optional<Project>> SqliteStore::FindProject(int64_t id) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  return QueryProject(**conn, "id = ?1", "", id);
}

base::Result<std::optional<Project>> SqliteStore::FindProjectBySlug(const std::string& slug) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  return QueryProject(**conn, "slug = ?1", slug, 0);
}

base::Result<std::optional<ProjectKey>> SqliteStore::FindKey(const std::string& public_key) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT project_id, public_key, secret, enabled FROM project_keys WHERE public_key = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(public_key);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ProjectKey>();
  return std::optional<ProjectKey>(
      ProjectKey{stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Int(3) != 0});
}

base::Result<User> SqliteStore::CreateUser(const std::string& email,
                                           const std::string& password_hash, bool superuser) {
  std::string normalized = base::AsciiLower(base::Trim(email));
  size_t at = normalized.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == normalized.size() ||
      normalized.size() > kMaxEmailLength ||
      normalized.find_first_of(" \t\r\n") != std::string::npos) {
    return base::InvalidArgument("not an email address: \"" + normalized + "\"");
  }
  std::lock_guard lock(write_mu_);
  auto stmt = writer_->Prepare(
      "INSERT INTO users (email, password_hash, superuser, created_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (email) DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(normalized, password_hash, superuser ? 1 : 0, NowMs());
  FERRY_RETURN_IF_ERROR(stmt->Run());
  if (writer_->Changes() == 0) return base::InvalidArgument("user \"" + normalized + "\" exists");
  return User{writer_->LastInsertId(), normalized, password_hash, superuser};
}

base::Result<std::optional<User>> SqliteStore::FindUserByEmail(const std::string& email) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt =
      (*conn)->Prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(base::AsciiLower(base::Trim(email)));
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<User>();
  return std::optional<User>(ReadUser(*stmt));
}

base::Result<std::vector<User>> SqliteStore::ListUsers() {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  std::vector<User> users;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    users.push_back(ReadUser(*stmt));
  }
  return users;
}

base::Status SqliteStore::UserExistsLocked(int64_t user_id) {
  auto user = writer_->Prepare("SELECT 1 FROM users WHERE id = ?1");
  if (!user.ok()) return user.status();
  user->BindAll(user_id);
  auto row = user->Step();
  if (!row.ok()) return row.status();
  if (!*row) return base::NotFound("user " + std::to_string(user_id) + " not found");
  return base::Status::Ok();
}

base::Status SqliteStore::AddToken(int64_t user_id, const std::string& token_sha256) {
  std::lock_guard lock(write_mu_);
  FERRY_RETURN_IF_ERROR(UserExistsLocked(user_id));
  auto stmt = writer_->Prepare(
      "INSERT INTO tokens (token_sha256, user_id, created_ms) VALUES (?1, ?2, ?3)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(token_sha256, user_id, NowMs());
  return stmt->Run();
}

base::Result<std::optional<User>> SqliteStore::FindUserByToken(const std::string& token_sha256) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT u.id, u.email, u.password_hash, u.superuser FROM tokens t "
      "JOIN users u ON u.id = t.user_id WHERE t.token_sha256 = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(token_sha256);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<User>();
  return std::optional<User>(ReadUser(*stmt));
}

base::Status SqliteStore::CreateSession(int64_t user_id, const std::string& token_sha256,
                                        const std::string& csrf, int64_t expires_ms) {
  std::lock_guard lock(write_mu_);
  FERRY_RETURN_IF_ERROR(UserExistsLocked(user_id));
  // Expired sessions go as new ones come: the table holds only live ones and a few more.
  auto purge = writer_->Prepare("DELETE FROM sessions WHERE expires_ms <= ?1");
  if (!purge.ok()) return purge.status();
  const int64_t now = NowMs();
  purge->BindAll(now);
  FERRY_RETURN_IF_ERROR(purge->Run());
  auto stmt = writer_->Prepare(
      "INSERT INTO sessions (token_sha256, user_id, csrf, created_ms, expires_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(token_sha256, user_id, csrf, now, expires_ms);
  return stmt->Run();
}

base::Result<std::optional<Session>> SqliteStore::FindSession(const std::string& token_sha256,
                                                              int64_t now_ms) {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT u.id, u.email, u.password_hash, u.superuser, s.csrf, s.created_ms, s.expires_ms "
      "FROM sessions s JOIN users u ON u.id = s.user_id "
      "WHERE s.token_sha256 = ?1 AND s.expires_ms > ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(token_sha256, now_ms);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Session>();
  Session s{ReadUser(*stmt), stmt->Text(4), stmt->Int(5), stmt->Int(6)};
  return std::optional<Session>(std::move(s));
}

base::Status SqliteStore::DeleteSession(const std::string& token_sha256) {
  std::lock_guard lock(write_mu_);
  auto stmt = writer_->Prepare("DELETE FROM sessions WHERE token_sha256 = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(token_sha256);
  return stmt->Run();
}

base::Status SqliteStore::DeleteUserSessions(int64_t user_id) {
  std::lock_guard lock(write_mu_);
  auto stmt = writer_->Prepare("DELETE FROM sessions WHERE user_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindAll(user_id);
  return stmt->Run();
}

base::Result<bool> SqliteStore::IsEmpty() {
  auto conn = readers_.Acquire();
  if (!conn.ok()) return conn.status();
  auto stmt = (*conn)->Prepare(
      "SELECT EXISTS (SELECT 1 FROM projects) OR EXISTS (SELECT 1 FROM users) "
      "OR EXISTS (SELECT 1 FROM events)");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return stmt->Int(0) == 0;
}

}  // namespace ferry::store::sqlite
