// The schema of ferry.yml (DESIGN.md §2.2): one table of known keys per section. Each key has a
// reader that expands ${VAR}, converts the text to the field's type and checks the value, so
// that an error can name the key and the line it came from.
#include "config/parse.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "config/values.h"

namespace ferry::config::internal {
namespace {

using Kind = YamlNode::Kind;

// Reads one value; `key` is its full dotted name, for messages.
using Reader = std::function<base::Status(const YamlNode& value, const std::string& key)>;
// Converts and checks one string; the error detail is the reason alone.
using Normalizer = std::function<base::Result<std::string>(std::string_view)>;

struct Field {
  std::string_view name;
  Reader read;
};

base::Status Bad(const std::string& key, const YamlNode& node, std::string_view reason) {
  std::string detail = key + ": " + std::string(reason);
  if (node.line > 0) detail += " (line " + std::to_string(node.line) + ")";
  return base::InvalidArgument(std::move(detail));
}

std::string Join(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

// The closest known key when the unknown one is an obvious typo, else "".
std::string Suggest(std::string_view unknown, const std::vector<Field>& fields) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, unknown.size() / 4) + 1;
  for (const Field& field : fields) {
    size_t d = EditDistance(base::AsciiLower(unknown), field.name);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(field.name);
    }
  }
  return best;
}

class SchemaReader {
 public:
  explicit SchemaReader(const EnvLookup& env) : env_(env) {}

  base::Status Read(const YamlNode& root, Config* c) { return ReadMap(root, "", TopLevel(c)); }

 private:
  std::vector<Field> TopLevel(Config* c) {
    return {
        {"server", Section(ServerFields(&c->server))},
        {"data_dir", String(&c->data_dir, NonEmpty("a directory path"))},
        {"limits", Section(LimitFields(&c->limits))},
        {"tunnel", Section(TunnelFields(&c->tunnel))},
        {"upstreams", Upstreams(&c->upstreams)},
        {"spool", Section({
                      {"max_bytes", Uint(&c->spool.max_bytes, 1)},
                      {"max_age_hours", Uint(&c->spool.max_age_hours, 1)},
                  })},
        {"store", Section(StoreFields(&c->store))},
        {"mail", Section(MailFields(&c->mail))},
        {"log", Section({
                    {"level", Enum(&c->log.level, {{"debug", base::LogLevel::kDebug},
                                                   {"info", base::LogLevel::kInfo},
                                                   {"warn", base::LogLevel::kWarn},
                                                   {"warning", base::LogLevel::kWarn},
                                                   {"error", base::LogLevel::kError}})},
                    {"format", Enum(&c->log.format, {{"text", base::LogFormat::kText},
                                                     {"json", base::LogFormat::kJson}})},
                })},
    };
  }

  std::vector<Field> ServerFields(ServerConfig* s) {
    return {
        {"listen", String(&s->listen,
                          [](std::string_view text) -> base::Result<std::string> {
                            auto parsed = ParseListen(text);
                            if (!parsed.ok()) return parsed.status();
                            return std::string(text);
                          })},
        {"public_url",
         String(&s->public_url, [](std::string_view t) { return NormalizeHttpUrl(t, true); })},
        {"trusted_proxies", List<Cidr>(&s->trusted_proxies, ParseCidr)},
        {"tls", Section({
                    {"cert_file", String(&s->tls.cert_file)},
                    {"key_file", String(&s->tls.key_file)},
                })},
        {"threads", Uint(&s->threads, 0, 1024)},
        {"workers", Uint(&s->workers, 0, 1024)},
    };
  }

  std::vector<Field> LimitFields(Limits* l) {
    return {
        {"max_envelope_bytes", Uint(&l->max_envelope_bytes, 1)},
        {"max_event_bytes", Uint(&l->max_event_bytes, 1)},
        {"request_timeout_ms", Uint(&l->request_timeout_ms, 1)},
        {"idle_timeout_ms", Uint(&l->idle_timeout_ms, 1)},
        {"max_connections", Uint(&l->max_connections, 1)},
        {"max_inflight_bytes", Uint(&l->max_inflight_bytes, 0)},
    };
  }

  std::vector<Field> TunnelFields(TunnelConfig* t) {
    return {
        {"enabled", Bool(&t->enabled)},
        {"paths", List<std::string>(&t->paths, CheckTunnelPath,
                                    "at least one path (tunnel.enabled: false turns the "
                                    "tunnel off)")},
        {"allowed_origins", List<std::string>(&t->allowed_origins, NormalizeOrigin)},
        {"allowed_hosts", List<std::string>(&t->allowed_hosts, NormalizeHost)},
        {"allowed_projects", List<std::string>(&t->allowed_projects, NormalizeProject)},
        {"remap", Remap(&t->remap)},
        {"delivery",
         Enum(&t->delivery, {{"direct", Delivery::kDirect}, {"durable", Delivery::kDurable}})},
    };
  }

  std::vector<Field> StoreFields(StoreConfig* s) {
    return {
        {"enabled", Bool(&s->enabled)},
        {"backend", Enum(&s->backend, {{"sqlite", "sqlite"}, {"postgres", "postgres"}})},
        {"sqlite_path", String(&s->sqlite_path)},
        {"postgres_url", String(&s->postgres_url)},
        {"retention_days", Uint(&s->retention_days, 1)},
        {"max_events_per_project", Uint(&s->max_events_per_project, 0)},
    };
  }

  std::vector<Field> MailFields(MailConfig* m) {
    return {
        {"host", String(&m->host,
                        [](std::string_view text) -> base::Result<std::string> {
                          if (text.empty()) return std::string();
                          auto host = NormalizeHost(text);
                          if (!host.ok()) return host;
                          size_t colon = host->rfind(':');
                          size_t bracket = host->rfind(']');
                          if (colon != std::string::npos &&
                              (bracket == std::string::npos || colon > bracket)) {
                            return base::InvalidArgument(
                                "expected a host without a port (the port is mail.port), got " +
                                base::JsonQuote(text));
                          }
                          return host;
                        })},
        {"port", Uint(&m->port, 1)},
        {"tls", Enum(&m->tls, {{"starttls", MailTls::kStartTls},
                               {"tls", MailTls::kTls},
                               {"none", MailTls::kNone}})},
        {"username", String(&m->username)},
        {"password", String(&m->password)},
        {"from",
         String(&m->from, [](std::string_view text) { return CheckMailAddress(text, true); })},
        {"to", List<std::string>(
                   &m->to, [](std::string_view text) { return CheckMailAddress(text, false); })},
        {"ca_file", String(&m->ca_file)},
        {"batch_interval_seconds", Uint(&m->batch_interval_seconds, 1, 86400)},
        {"timeout_ms", Uint(&m->timeout_ms, 1)},
    };
  }

  // Section readers.

  base::Status ReadMap(const YamlNode& node, const std::string& key,
                       const std::vector<Field>& fields) {
    if (node.IsNull()) return base::Status::Ok();  // "mail:" with nothing under it
    if (node.kind != Kind::kMap) {
      return Bad(key.empty() ? "config" : key, node,
                 "expected a map, got " + std::string(KindName(node.kind)));
    }
    for (const auto& [name, value] : node.entries) {
      const Field* field = nullptr;
      for (const Field& f : fields) {
        if (f.name == name) field = &f;
      }
      if (field == nullptr) {
        std::string detail = "unknown key \"" + Join(key, name) + "\"";
        std::string hint = Suggest(name, fields);
        if (!hint.empty()) detail += " (did you mean \"" + Join(key, hint) + "\"?)";
        if (value.line > 0) detail += " (line " + std::to_string(value.line) + ")";
        return base::InvalidArgument(std::move(detail));
      }
      // An explicit null ("key:" or "key: ~") keeps the default, like a missing key.
      if (value.IsNull()) continue;
      FERRY_RETURN_IF_ERROR(field->read(value, Join(key, name)));
    }
    return base::Status::Ok();
  }

  Reader Section(std::vector<Field> fields) {
    return [this, fields = std::move(fields)](const YamlNode& v, const std::string& key) {
      return ReadMap(v, key, fields);
    };
  }

  // Scalar readers.

  base::Result<std::string> Text(const YamlNode& node, const std::string& key) {
    if (node.kind != Kind::kScalar) {
      return Bad(key, node, "expected a single value, got " + std::string(KindName(node.kind)));
    }
    auto expanded = ExpandEnv(node.scalar, env_);
    if (!expanded.ok()) return Bad(key, node, expanded.status().detail());
    return expanded;
  }

  Reader String(std::string* out, Normalizer normalize = nullptr) {
    return [this, out, normalize = std::move(normalize)](const YamlNode& v,
                                                         const std::string& key) -> base::Status {
      auto text = Text(v, key);
      if (!text.ok()) return text.status();
      if (!normalize) {
        *out = std::move(text).value();
        return base::Status::Ok();
      }
      auto normalized = normalize(*text);
      if (!normalized.ok()) return Bad(key, v, normalized.status().detail());
      *out = std::move(normalized).value();
      return base::Status::Ok();
    };
  }

  static Normalizer NonEmpty(std::string what) {
    return [what = std::move(what)](std::string_view text) -> base::Result<std::string> {
      if (text.empty()) return base::InvalidArgument("expected " + what + ", got \"\"");
      return std::string(text);
    };
  }

  template <typename T>
  Reader Uint(T* out, uint64_t min, uint64_t max = std::numeric_limits<T>::max()) {
    return [this, out, min, max](const YamlNode& v, const std::string& key) -> base::Status {
      auto text = Text(v, key);
      if (!text.ok()) return text.status();
      auto number = ParseUint(*text, min, max);
      if (!number.ok()) return Bad(key, v, number.status().detail());
      *out = static_cast<T>(*number);
      return base::Status::Ok();
    };
  }

  Reader Bool(bool* out) {
    return [this, out](const YamlNode& v, const std::string& key) -> base::Status {
      auto text = Text(v, key);
      if (!text.ok()) return text.status();
      auto value = ParseBool(*text);
      if (!value.ok()) return Bad(key, v, value.status().detail());
      *out = *value;
      return base::Status::Ok();
    };
  }

  template <typename T>
  Reader Enum(T* out, std::vector<std::pair<std::string_view, T>> choices) {
    return [this, out, choices](const YamlNode& v, const std::string& key) -> base::Status {
      auto text = Text(v, key);
      if (!text.ok()) return text.status();
      std::string expected;
      for (const auto& [name, value] : choices) {
        if (base::EqualsIgnoreCase(*text, name)) {
          *out = value;
          return base::Status::Ok();
        }
        expected += (expected.empty() ? "" : " | ") + std::string(name);
      }
      return Bad(key, v, "expected " + expected + ", got " + base::JsonQuote(*text));
    };
  }

  // A list replaces the default list as a whole. `non_empty`, when set, says what an empty
  // list lacks.
  template <typename T>
  Reader List(std::vector<T>* out, std::function<base::Result<T>(std::string_view)> convert,
              std::string non_empty = "") {
    return [this, out, convert = std::move(convert), non_empty = std::move(non_empty)](
               const YamlNode& v, const std::string& key) -> base::Status {
      if (v.kind != Kind::kSequence) {
        return Bad(key, v, "expected a list, got " + std::string(KindName(v.kind)));
      }
      if (v.items.empty() && !non_empty.empty()) return Bad(key, v, "expected " + non_empty);
      std::vector<T> values;
      values.reserve(v.items.size());
      for (size_t i = 0; i < v.items.size(); ++i) {
        std::string item_key = key + "[" + std::to_string(i) + "]";
        auto text = Text(v.items[i], item_key);
        if (!text.ok()) return text.status();
        auto value = convert(*text);
        if (!value.ok()) return Bad(item_key, v.items[i], value.status().detail());
        values.push_back(std::move(value).value());
      }
      *out = std::move(values);
      return base::Status::Ok();
    };
  }

  // tunnel.remap: old DSN → new DSN or a non-empty list of DSNs. The keys are matched exactly
  // as clients send them, so they are neither expanded nor normalized; messages mask them.
  Reader Remap(std::map<std::string, std::vector<std::string>>* out) {
    return [this, out](const YamlNode& v, const std::string& key) -> base::Status {
      if (v.kind != Kind::kMap) {
        return Bad(key, v, "expected a map of DSN to DSN, got " + std::string(KindName(v.kind)));
      }
      for (const auto& [from, to] : v.entries) {
        std::string entry_key = key + "[" + base::JsonQuote(MaskDsn(from)) + "]";
        auto checked = CheckDsn(from);
        if (!checked.ok()) return Bad(entry_key, to, checked.status().detail());
        std::vector<std::string> targets;
        if (to.kind == Kind::kScalar) {
          FERRY_RETURN_IF_ERROR(String(&targets.emplace_back(), CheckDsn)(to, entry_key));
        } else if (to.kind == Kind::kSequence) {
          FERRY_RETURN_IF_ERROR(
              List<std::string>(&targets, CheckDsn, "at least one DSN")(to, entry_key));
        } else {
          return Bad(entry_key, to,
                     "expected a DSN or a list of DSNs, got " + std::string(KindName(to.kind)));
        }
        (*out)[from] = std::move(targets);
      }
      return base::Status::Ok();
    };
  }

  // upstreams: DSN host[:port] → where and how to connect.
  Reader Upstreams(std::map<std::string, UpstreamConfig>* out) {
    return [this, out](const YamlNode& v, const std::string& key) -> base::Status {
      if (v.kind != Kind::kMap) {
        return Bad(key, v,
                   "expected a map of DSN host to settings, got " + std::string(KindName(v.kind)));
      }
      for (const auto& [host_text, settings] : v.entries) {
        std::string entry_key = key;
        entry_key += '.';
        entry_key += host_text;
        auto host = NormalizeHost(host_text);
        if (!host.ok()) return Bad(entry_key, settings, host.status().detail());
        if (out->count(*host) > 0) {
          return Bad(entry_key, settings, "the same host as another entry (hosts ignore case)");
        }
        UpstreamConfig upstream;
        FERRY_RETURN_IF_ERROR(ReadMap(
            settings, entry_key,
            {
                {"url", String(&upstream.url,
                               [](std::string_view t) { return NormalizeHttpUrl(t, false); })},
                {"ca_file", String(&upstream.ca_file)},
                {"timeout_ms", Uint(&upstream.timeout_ms, 1)},
                {"connect_timeout_ms", Uint(&upstream.connect_timeout_ms, 1)},
            }));
        (*out)[*host] = std::move(upstream);
      }
      return base::Status::Ok();
    };
  }

  const EnvLookup& env_;
};

}  // namespace

base::Status ReadConfig(const YamlNode& root, const EnvLookup& env, Config* config) {
  return SchemaReader(env).Read(root, config);
}

}  // namespace ferry::config::internal
