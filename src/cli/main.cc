// ferry's command line (DESIGN.md §2.1). Each subcommand loads the configuration the same way
// and exits 0 on success, or non-zero with a one-line reason on stderr.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "base/log.h"
#include "cli/store_commands.h"
#include "config/config.h"
#include "http/tls.h"
#include "server/app.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

namespace {

using ferry::base::Status;

int Fail(const std::string& message) {
  std::fprintf(stderr, "ferry: %s\n", message.c_str());
  return 1;
}

// Thousands of idle keep-alive connections need more descriptors than the usual soft limit.
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

int RunServe(const std::string& config_path) {
  auto config = ferry::config::LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status().detail());
  ferry::base::InitLogging(config->log.level, config->log.format);
  RaiseFileLimit();
  Status st = ferry::server::Serve(*config);
  if (!st.ok()) return Fail(st.detail());
  return 0;
}

int RunCheckConfig(const std::string& config_path) {
  auto config = ferry::config::LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status().detail());
  // The certificate and key are loaded as serve would, so a bad pair fails here and not at
  // the next restart.
  if (const auto& tls = config->server.tls; !tls.cert_file.empty()) {
    ferry::http::ServerTls server_tls(tls.cert_file, tls.key_file);
    if (auto st = server_tls.Load(); !st.ok()) return Fail(st.detail());
  }
  std::cout << ferry::config::DumpConfig(*config);
  return 0;
}

int PrintVersion() {
  std::printf("ferry %s\nbuilt %s %s with %s, Boost %d.%d\n", FERRY_VERSION, __DATE__, __TIME__,
              __VERSION__, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferry: a Sentry tunnel and a lightweight Sentry-compatible error tracker"};
  app.require_subcommand(1);
  std::string config_path;
  // A missing file is reported by LoadConfig, in the same words as every other config error.
  app.add_option("--config", config_path, "configuration file (default: ./ferry.yml if present)");

  auto* serve = app.add_subcommand("serve", "run the server");
  auto* check =
      app.add_subcommand("check-config", "validate and print the effective configuration");
  auto* version = app.add_subcommand("version", "print the version and build information");

  auto* project = app.add_subcommand("project", "manage projects of the built-in store");
  project->require_subcommand(1);
  std::string project_name, platform;
  auto* project_create = project->add_subcommand("create", "create a project; print its DSN");
  project_create->add_option("name", project_name, "project name")->required();
  project_create->add_option("--platform", platform, "python, node, javascript, dart, ...");
  auto* project_list = project->add_subcommand("list", "projects with ids and DSNs");
  std::string key_arg;
  auto* disable_key = project->add_subcommand("disable-key", "refuse events sent with a key");
  disable_key->add_option("key", key_arg, "the DSN's public key")->required();
  auto* enable_key = project->add_subcommand("enable-key", "accept a disabled key again");
  enable_key->add_option("key", key_arg, "the DSN's public key")->required();

  std::string email;
  bool password_stdin = false, superuser = false;
  auto* createuser = app.add_subcommand("createuser", "create a UI/API user");
  createuser->add_option("--email", email, "the user's email")->required();
  createuser->add_flag("--password-stdin", password_stdin, "read the password from stdin");
  createuser->add_flag("--superuser", superuser, "give the user every permission");

  auto* token = app.add_subcommand("token", "manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "print a new API token for a user");
  token_create->add_option("--email", email, "the user's email")->required();

  std::string backup_output, restore_file;
  bool config_only = false, force = false;
  auto* backup = app.add_subcommand("backup", "write a consistent backup, also while serving");
  backup->add_option("--output", backup_output, "file (default ferry-backup-<time>.jsonl.gz)");
  backup->add_flag("--config-only", config_only, "users, tokens, projects and keys only");
  auto* restore = app.add_subcommand("restore", "restore a backup into the configured store");
  restore->add_option("file", restore_file, "the backup file")->required();
  restore->add_flag("--force", force, "replace a store that is not empty");

  auto* spool = app.add_subcommand("spool", "the tunnel's durable spool");
  spool->require_subcommand(1);
  auto* spool_status = spool->add_subcommand("status", "depth, bytes and oldest age per upstream");

  for (auto* sub : {serve, check, version, project_create, project_list, disable_key, enable_key,
                    createuser, token_create, backup, restore, spool_status}) {
    sub->add_option("--config", config_path, "configuration file");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a success; any other usage error exits 2 after CLI11's one-line message.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (*serve) return RunServe(config_path);
  if (*check) return RunCheckConfig(config_path);
  if (*version) return PrintVersion();
  auto config = ferry::config::LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status().detail());
  namespace cli = ferry::cli;
  if (*project_create) return cli::ProjectCreate(*config, project_name, platform);
  if (*project_list) return cli::ProjectList(*config);
  if (*disable_key) return cli::SetKeyEnabled(*config, key_arg, false);
  if (*enable_key) return cli::SetKeyEnabled(*config, key_arg, true);
  if (*createuser) return cli::CreateUser(*config, email, password_stdin, superuser);
  if (*token_create) return cli::TokenCreate(*config, email);
  if (*backup) return cli::Backup(*config, backup_output, config_only);
  if (*restore) return cli::Restore(*config, restore_file, force);
  if (*spool_status) return cli::SpoolStatus(*config);
  return 1;
}
