// DumpConfig: the effective configuration as YAML that ParseConfig accepts again, every key
// written out (defaults included) so that `ferry check-config` shows what ferry will really do.
// Secrets are masked, so a dump documents a setup without leaking it.
#include <cstdio>
#include <set>
#include <string>

#include "base/strings.h"
#include "config/config.h"
#include "config/expand.h"
#include "config/values.h"

namespace ferry::config {
namespace {

// A YAML double-quoted scalar. In values "${" is written "$${" so that re-reading it does not
// expand an environment variable that the original value never referred to; map keys (remap
// DSNs, upstream hosts) are never expanded, so they are written as they are.
std::string Q(std::string_view value, bool is_key = false) {
  std::string text = is_key ? std::string(value) : internal::EscapeEnv(value);
  std::string out = "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string QList(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + Q(values[i]);
  return out + "]";
}

std::string B(bool value) { return value ? "true" : "false"; }

// Secrets follow the project-wide rule: the first 4 characters, then "…" (DESIGN.md §2.5).
std::string MaskPassword(const std::string& password) { return base::MaskSecret(password); }

std::string_view LevelName(base::LogLevel level) {
  switch (level) {
    case base::LogLevel::kDebug:
      return "debug";
    case base::LogLevel::kInfo:
      return "info";
    case base::LogLevel::kWarn:
      return "warn";
    case base::LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string_view MailTlsName(MailTls tls) {
  switch (tls) {
    case MailTls::kStartTls:
      return "starttls";
    case MailTls::kTls:
      return "tls";
    case MailTls::kNone:
      return "none";
  }
  return "starttls";
}

}  // namespace

std::string DumpConfig(const Config& c) {
  std::string o = "# ferry configuration, from " + c.source + " (secrets masked)\n";
  auto line = [&o](std::string_view indent, std::string_view key, const std::string& value) {
    o.append(indent).append(key).append(": ").append(value).append("\n");
  };

  o += "server:\n";
  line("  ", "listen", Q(c.server.listen));
  line("  ", "public_url", Q(c.server.public_url));
  std::vector<std::string> proxies;
  for (const Cidr& cidr : c.server.trusted_proxies) proxies.push_back(cidr.text);
  line("  ", "trusted_proxies", QList(proxies));
  o += "  tls:\n";
  line("    ", "cert_file", Q(c.server.tls.cert_file));
  line("    ", "key_file", Q(c.server.tls.key_file));
  line("  ", "threads", std::to_string(c.server.threads));
  line("  ", "workers", std::to_string(c.server.workers));
  line("", "data_dir", Q(c.data_dir));

  o += "limits:\n";
  line("  ", "max_envelope_bytes", std::to_string(c.limits.max_envelope_bytes));
  line("  ", "max_event_bytes", std::to_string(c.limits.max_event_bytes));
  line("  ", "request_timeout_ms", std::to_string(c.limits.request_timeout_ms));
  line("  ", "idle_timeout_ms", std::to_string(c.limits.idle_timeout_ms));
  line("  ", "max_connections", std::to_string(c.limits.max_connections));
  line("  ", "max_inflight_bytes", std::to_string(c.limits.max_inflight_bytes));

  o += "tunnel:\n";
  line("  ", "enabled", B(c.tunnel.enabled));
  line("  ", "paths", QList(c.tunnel.paths));
  line("  ", "allowed_origins", QList(c.tunnel.allowed_origins));
  line("  ", "allowed_hosts", QList(c.tunnel.allowed_hosts));
  line("  ", "allowed_projects", QList(c.tunnel.allowed_projects));
  if (c.tunnel.remap.empty()) {
    line("  ", "remap", "{}");
  } else {
    o += "  remap:\n";
    std::set<std::string> written;
    for (const auto& [from, to] : c.tunnel.remap) {
      std::vector<std::string> masked;
      for (const std::string& dsn : to) masked.push_back(internal::MaskDsn(dsn));
      std::string key = Q(internal::MaskDsn(from), /*is_key=*/true);
      // Two old DSNs may differ only after the masked prefix of their keys; a second YAML
      // entry with the same key would make the dump unreadable, so it becomes a comment.
      std::string_view indent = written.insert(key).second ? "    " : "    # ";
      line(indent, key, masked.size() == 1 ? Q(masked.front()) : QList(masked));
    }
  }
  line("  ", "delivery", c.tunnel.delivery == Delivery::kDurable ? "durable" : "direct");

  if (c.upstreams.empty()) {
    line("", "upstreams", "{}");
  } else {
    o += "upstreams:\n";
    for (const auto& [host, up] : c.upstreams) {
      o += "  " + Q(host, /*is_key=*/true) + ":\n";
      line("    ", "url", Q(up.url));
      line("    ", "ca_file", Q(up.ca_file));
      line("    ", "timeout_ms", std::to_string(up.timeout_ms));
      line("    ", "connect_timeout_ms", std::to_string(up.connect_timeout_ms));
    }
  }

  o += "spool:\n";
  line("  ", "max_bytes", std::to_string(c.spool.max_bytes));
  line("  ", "max_age_hours", std::to_string(c.spool.max_age_hours));

  o += "store:\n";
  line("  ", "enabled", B(c.store.enabled));
  line("  ", "backend", c.store.backend);
  line("  ", "sqlite_path", Q(c.store.sqlite_path));
  line("  ", "postgres_url", Q(internal::MaskUrlPassword(c.store.postgres_url)));
  line("  ", "retention_days", std::to_string(c.store.retention_days));
  line("  ", "max_events_per_project", std::to_string(c.store.max_events_per_project));

  o += "mail:\n";
  line("  ", "host", Q(c.mail.host));
  line("  ", "port", std::to_string(c.mail.port));
  line("  ", "tls", std::string(MailTlsName(c.mail.tls)));
  line("  ", "username", Q(c.mail.username));
  line("  ", "password", Q(MaskPassword(c.mail.password)));
  line("  ", "from", Q(c.mail.from));
  line("  ", "to", QList(c.mail.to));
  line("  ", "ca_file", Q(c.mail.ca_file));
  line("  ", "batch_interval_seconds", std::to_string(c.mail.batch_interval_seconds));
  line("  ", "timeout_ms", std::to_string(c.mail.timeout_ms));

  o += "log:\n";
  line("  ", "level", std::string(LevelName(c.log.level)));
  line("  ", "format", c.log.format == base::LogFormat::kJson ? "json" : "text");
  return o;
}

}  // namespace ferry::config
