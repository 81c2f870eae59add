#include "cli/store_commands.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "base/strings.h"
#include "cli/spool_client.h"
#include "server/spool_status.h"
#include "server/store_setup.h"
#include "spool/sqlite_spool.h"
#include "store/backup.h"
#include "store/credentials.h"

namespace ferry::cli {

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "ferry: %s\n", message.c_str());
  return 1;
}

// Progress on a terminal only, so scripts and logs stay clean.
std::function<void(int64_t)> Progress(const char* what) {
  if (!isatty(STDERR_FILENO)) return [](int64_t) {};
  return [what](int64_t rows) { std::fprintf(stderr, "\r%s: %lld rows", what, (long long)rows); };
}

std::string ReadPasswordFromTerminal() {
  termios old_tio{};
  tcgetattr(STDIN_FILENO, &old_tio);
  termios tio = old_tio;
  tio.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &tio);
  std::fprintf(stderr, "Password: ");
  std::string password;
  std::getline(std::cin, password);
  tcsetattr(STDIN_FILENO, TCSANOW, &old_tio);
  std::fprintf(stderr, "\n");
  return password;
}

}  // namespace

int ProjectCreate(const config::Config& config, const std::string& name,
                  const std::string& platform) {
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto project = (*store)->CreateProject(name, platform);
  if (!project.ok()) return Fail(project.status().detail());
  std::printf("created project %s (id %lld)\n", project->slug.c_str(), (long long)project->id);
  for (const auto& key : project->keys) {
    std::printf("DSN: %s\n", server::DsnFor(config.server.public_url, key).c_str());
  }
  return 0;
}

int ProjectList(const config::Config& config) {
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto projects = (*store)->ListProjects();
  if (!projects.ok()) return Fail(projects.status().detail());
  for (const auto& p : *projects) {
    for (const auto& key : p.keys) {
      std::printf("%lld\t%s\t%s%s\n", (long long)p.id, p.slug.c_str(),
                  server::DsnFor(config.server.public_url, key).c_str(),
                  key.enabled ? "" : "\t(disabled)");
    }
  }
  return 0;
}

int SetKeyEnabled(const config::Config& config, const std::string& public_key, bool enabled) {
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto st = (*store)->SetKeyEnabled(public_key, enabled);
  if (!st.ok()) return Fail(st.detail());
  std::printf("key %s %s\n", base::MaskSecret(public_key).c_str(),
              enabled ? "enabled" : "disabled");
  return 0;
}

int CreateUser(const config::Config& config, const std::string& email, bool password_stdin,
               bool superuser) {
  // The address is the login and where alerts go: the same check as mail.to.
  if (!config::CheckMailAddress(email).ok()) {
    return Fail("--email \"" + email + "\" is not a mail address (name@host)");
  }
  std::string password;
  if (password_stdin) {
    std::getline(std::cin, password);
  } else if (isatty(STDIN_FILENO)) {
    password = ReadPasswordFromTerminal();
  }
  std::string hash;
  if (!password.empty()) {
    auto hashed = store::HashPassword(password);
    if (!hashed.ok()) return Fail(hashed.status().detail());
    hash = std::move(*hashed);
  }
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto user = (*store)->CreateUser(base::AsciiLower(email), hash, superuser);
  if (!user.ok()) return Fail(user.status().detail());
  std::printf("created user %s%s%s\n", user->email.c_str(), superuser ? " (superuser)" : "",
              hash.empty() ? " without a password (API tokens only)" : "");
  return 0;
}

int TokenCreate(const config::Config& config, const std::string& email) {
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto user = (*store)->FindUserByEmail(base::AsciiLower(email));
  if (!user.ok()) return Fail(user.status().detail());
  if (!*user) return Fail("no user " + email + " (create one with ferry createuser)");
  std::string token = store::NewToken();
  auto st = (*store)->AddToken((*user)->id, store::TokenSha256(token));
  if (!st.ok()) return Fail(st.detail());
  std::printf("%s\n", token.c_str());
  return 0;
}

int Backup(const config::Config& config, std::string output, bool config_only) {
  if (output.empty()) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char name[64];
    std::strftime(name, sizeof name, "ferry-backup-%Y%m%d-%H%M%S.jsonl.gz", &tm);
    output = name;
  }
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto st = store::WriteBackup(**store, output, config_only, Progress("backup"));
  if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  if (!st.ok()) return Fail(st.detail());
  std::printf("backup written to %s\n", output.c_str());
  return 0;
}

int Restore(const config::Config& config, const std::string& file, bool force) {
  auto store = server::OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().detail());
  auto st = store::RestoreBackup(**store, file, force, Progress("restore"));
  if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  if (!st.ok()) return Fail(st.detail());
  std::printf("restored %s\n", file.c_str());
  return 0;
}

int SpoolStatus(const config::Config& config) {
  const std::string path = config.data_dir + "/spool.db";
  if (access(path.c_str(), F_OK) != 0) {
    std::printf("no spool at %s (tunnel.delivery: durable creates it)\n", path.c_str());
    return 0;
  }
  // A running server holds the spool exclusively and knows each upstream's retry state, so it
  // is asked first; without one, the file is read.
  auto fetched = FetchSpoolStatus(config);
  if (fetched.ok()) return PrintSpoolStatus(path, *fetched);
  spool::SpoolOptions options;
  options.max_bytes = static_cast<int64_t>(config.spool.max_bytes);
  options.busy_timeout_ms = 500;
  auto opened = spool::OpenSqliteSpool(path, options);
  if (!opened.ok()) {
    return Fail(opened.status().detail() +
                "; and no server answered: " + fetched.status().detail());
  }
  auto stats = (*opened)->Stats();
  if (!stats.ok()) return Fail(stats.status().detail());
  return PrintSpoolStatus(path, server::SpoolStatusJson(*stats, {}, config.spool.max_bytes));
}

}  // namespace ferry::cli
