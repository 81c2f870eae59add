// ferry's configuration: the YAML file of DESIGN.md §2.2, validated once at start-up into an
// immutable Config. Every limit has a named option and a default; unknown keys and bad values
// are errors that name the key (a typo must not silently disable a safety check).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/status.h"

namespace ferry::config {

// An IPv4 or IPv6 network, e.g. "10.0.0.0/8", "::1/128"; a bare address is a /32 or /128.
struct Cidr {
  std::string text;  // as written in the config
  bool v6 = false;
  std::array<uint8_t, 16> addr{};  // network bytes (first 4 used for IPv4)
  int prefix = 0;

  // True when `ip` (textual IPv4 or IPv6; IPv4-mapped IPv6 counts as IPv4) is inside.
  bool Contains(std::string_view ip) const;
};
base::Result<Cidr> ParseCidr(std::string_view text);

struct TlsConfig {
  std::string cert_file;
  std::string key_file;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:9000";
  std::string listen_host = "127.0.0.1";  // parsed from listen; IPv6 without brackets
  uint16_t listen_port = 9000;            // 0 = pick a free port
  std::string public_url;                 // default http://<listen> (no trailing slash)
  std::vector<Cidr> trusted_proxies;
  TlsConfig tls;
  int threads = 0;  // I/O threads; 0 = one per core
  // Worker threads (decoding, normalizing, SQL); 0 = one per core, at least 2 (parsing fills
  // the value in). Heavy bodies get max(1, workers / 2) threads of their own besides.
  int workers = 0;
};

struct Limits {
  uint64_t max_envelope_bytes = 209715200;  // after decompression; also bounds the wire body
  uint64_t max_event_bytes = 1048576;
  uint32_t request_timeout_ms = 30000;  // to read one request, and the default upstream timeout
  uint32_t idle_timeout_ms = 75000;     // a keep-alive connection with no request is closed
  uint32_t max_connections = 10000;     // accepted connections beyond this are closed at once
  // Request bodies in flight, raw and decoded, together; 0 = a quarter of the machine's memory,
  // at least 2 x max_envelope_bytes + 64 MiB (parsing fills the value in).
  uint64_t max_inflight_bytes = 0;
};

enum class Delivery { kDirect, kDurable };

struct TunnelConfig {
  bool enabled = true;
  std::vector<std::string> paths = {"/tunnel"};
  std::vector<std::string> allowed_origins = {"*"};  // "*" or lower-cased scheme://host[:port]
  std::vector<std::string> allowed_hosts;            // lower-cased "host" or "host:port"
  std::vector<std::string> allowed_projects;         // lower-cased "host[:port]/project_id"
  // Old DSN string exactly as clients send it → one or more new DSN strings (fan-out).
  std::map<std::string, std::vector<std::string>> remap;
  Delivery delivery = Delivery::kDurable;  // DESIGN.md §2.4
};

struct UpstreamConfig {
  std::string url;          // scheme://host[:port], no trailing slash; empty = the DSN's host
  std::string ca_file;      // PEM bundle; empty = the system store
  uint32_t timeout_ms = 0;  // 0 = limits.request_timeout_ms (parsing fills that value in)
  uint32_t connect_timeout_ms = 5000;
};

struct SpoolConfig {
  uint64_t max_bytes = 1073741824;
  uint32_t max_age_hours = 72;
};

struct StoreConfig {
  bool enabled = true;
  std::string backend = "sqlite";  // sqlite | postgres
  std::string sqlite_path;         // default <data_dir>/ferry.db (parsing fills it in)
  std::string postgres_url;
  uint32_t retention_days = 30;
  // Keep at most this many events per project (oldest go first; every issue keeps its newest
  // event and its count), so a crash loop cannot fill the disk. 0 = no cap.
  uint64_t max_events_per_project = 0;
};

enum class MailTls { kStartTls, kTls, kNone };

struct MailConfig {
  std::string host;  // empty = no mail
  uint16_t port = 587;
  MailTls tls = MailTls::kStartTls;
  std::string username;
  std::string password;
  std::string from = "ferry@localhost";  // "user@host" or "Name <user@host>"
  std::vector<std::string> to;           // recipients; empty = every user of the store
  std::string ca_file;                   // PEM bundle to verify the server; empty = system store
  uint32_t batch_interval_seconds = 60;  // after a mail, later alerts wait this long as a digest
  uint32_t timeout_ms = 30000;           // connect, and every read or write of the conversation
};

struct LogConfig {
  base::LogLevel level = base::LogLevel::kInfo;
  base::LogFormat format = base::LogFormat::kText;
};

struct Config {
  ServerConfig server;
  std::string data_dir = "./data";
  Limits limits;
  TunnelConfig tunnel;
  std::map<std::string, UpstreamConfig> upstreams;  // key: lower-cased DSN "host" or "host:port"
  SpoolConfig spool;
  StoreConfig store;
  MailConfig mail;
  LogConfig log;
  std::string source;  // the file it was read from, or "built-in defaults"
};

// Reads and validates `path`. An empty path means: ./ferry.yml when it exists, else the
// built-in defaults. Errors name the file and the key, "<source>: <key>: <reason> (line N)":
// kNotFound ("<path>: no such file"), kInvalidArgument (bad YAML, unknown key, bad value),
// kUnavailable (the file exists but cannot be read).
//
// Every scalar value may use ${VAR} and ${VAR:-default} (environment; an unset VAR without a
// default is ""); "$${" is a literal "${". Map keys (remap DSNs, upstream hosts) are taken
// literally. A key given as null ("mail:" or "key: ~") keeps its default.
base::Result<Config> LoadConfig(const std::string& path);

// Parses and validates YAML text; `source` names it in error messages.
base::Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source);

// OK when `address` is a plain mail address (user@example.com) as mail.to accepts it; the
// CLI checks user addresses with it too, since alerts go there.
base::Status CheckMailAddress(std::string_view address);

// The effective configuration as YAML, every key written out, with passwords and DSN keys
// masked. ParseConfig accepts it again (with the masked values in place of the secrets).
std::string DumpConfig(const Config& config);

}  // namespace ferry::config
