// Checks that involve more than one key, and the defaults that derive from other keys.
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/strings.h"
#include "config/parse.h"
#include "config/values.h"

namespace ferry::config::internal {

base::Status ValidateConfig(Config* c) {
  // The reader checked listen already; the built-in default passes through here too.
  auto listen = ParseListen(c->server.listen);
  if (!listen.ok()) return base::InvalidArgument("server.listen: " + listen.status().detail());
  c->server.listen_host = listen->host;
  c->server.listen_port = listen->port;
  const TlsConfig& tls = c->server.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return base::InvalidArgument(
        "server.tls: cert_file and key_file must be set together (or both left empty)");
  }
  if (c->server.public_url.empty()) {
    // The DSNs ferry issues must be reachable by clients; this default suits a local setup,
    // and a listen on 0.0.0.0 or behind a proxy needs an explicit public_url.
    bool v6 = listen->host.find(':') != std::string::npos;
    c->server.public_url = std::string(tls.cert_file.empty() ? "http" : "https") + "://" +
                           (v6 ? "[" + listen->host + "]" : listen->host) + ":" +
                           std::to_string(listen->port);
  }

  if (c->limits.max_event_bytes > c->limits.max_envelope_bytes) {
    return base::InvalidArgument(
        "limits.max_event_bytes: must not exceed "
        "limits.max_envelope_bytes (" +
        std::to_string(c->limits.max_envelope_bytes) + ")");
  }

  if (c->server.workers == 0) {
    c->server.workers = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  }
  const uint64_t one_request = 2 * c->limits.max_envelope_bytes;  // raw and decoded
  if (c->limits.max_inflight_bytes == 0) {
    // A quarter of the machine leaves the rest to the spool, the store's caches and the
    // system, while a single request at the limits always fits.
    const uint64_t memory = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                            static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    c->limits.max_inflight_bytes = std::max(memory / 4, one_request + (64 << 20));
  }

  for (auto& [host, upstream] : c->upstreams) {
    if (upstream.timeout_ms == 0) upstream.timeout_ms = c->limits.request_timeout_ms;
  }

  if (c->store.sqlite_path.empty()) {
    std::string dir = c->data_dir;
    while (dir.size() > 1 && dir.ends_with('/')) dir.pop_back();
    c->store.sqlite_path = dir + "/ferry.db";
  }
  if (c->store.enabled && c->store.backend == "postgres" && c->store.postgres_url.empty()) {
    return base::InvalidArgument(
        "store.postgres_url: required when store.backend is postgres, e.g. "
        "postgresql://ferry@127.0.0.1/ferry");
  }

  if (!c->mail.host.empty() && !c->mail.username.empty() && c->mail.password.empty()) {
    // An unset ${VAR} expands to "", so this is how a missing secret shows up.
    return base::InvalidArgument(
        "mail.password: empty while mail.username is set (is its ${VAR} unset?)");
  }
  return base::Status::Ok();
}

}  // namespace ferry::config::internal
