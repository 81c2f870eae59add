// ferry's command line (DESIGN.md §2.1). Each subcommand loads the configuration the same way
// and exits 0 on success, or non-zero with a one-line reason on stderr.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "base/log.h"
#include "config/config.h"
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
  std::cout << ferry::config::DumpConfig(*config);
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
  for (auto* sub : {serve, check, version}) {
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
  if (*version) {
    std::printf("ferry %s\nbuilt %s %s with %s, Boost %d.%d\n", FERRY_VERSION, __DATE__, __TIME__,
                __VERSION__, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
    return 0;
  }
  return 1;
}
