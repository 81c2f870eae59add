#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config.h"
#include "config/parse.h"

namespace ferry::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretive[] = R"yaml(
server:
  listen: "[::1]:0"
  public_url: "https://errors.example.com/"
  trusted_proxies: ["10.0.0.0/8", "::1"]
  tls: { cert_file: "/etc/ferry/cert.pem", key_file: "/etc/ferry/key.pem" }
  threads: 3
data_dir: "/var/lib/ferry"
limits: { max_envelope_bytes: 1000, max_event_bytes: 100, request_timeout_ms: 7,
          idle_timeout_ms: 8, max_connections: 9 }
tunnel:
  enabled: false
  paths: ["/tunnel", "/t/*"]
  allowed_origins: ["https://app.example.com"]
  allowed_hosts: ["sentry.example.com", "o1.example:8443"]
  allowed_projects: ["sentry.example.com/2"]
  remap:
    "https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4": "https://1b13ae41ee7c898ce3c49d04781eb908@sentry.example.com/2"
    "https://aaaa1111:oldsecret99@old.example/5":
      - "https://bbbb2222@sentry.example.com/6"
      - "https://cccc3333:newsecret77@o1.example:8443/7"
  delivery: durable
upstreams:
  "sentry.example.com": { url: "http://127.0.0.1:9001", ca_file: "/ca.pem", timeout_ms: 5000 }
spool: { max_bytes: 12345, max_age_hours: 5 }
store:
  enabled: false
  backend: postgres
  sqlite_path: "/x/ferry.db"
  postgres_url: "postgresql://ferry:pgpassword1@db.example/ferry"
  retention_days: 9
  max_events_per_project: 5000
mail:
  host: smtp.example.com
  port: 465
  tls: tls
  username: "ferry"
  password: "mailpassword1"
  from: "Ferry <ferry@example.com>"
  to: ["ops@example.com", "dev@example.com"]
  ca_file: "/etc/ferry/smtp-ca.pem"
  batch_interval_seconds: 120
  timeout_ms: 9000
log: { level: warn, format: json }
)yaml";

base::Result<Config> Parse(const std::string& yaml) {
  return internal::ParseConfigWithEnv(
      yaml, "test.yml", [](const std::string&) { return std::optional<std::string>(); });
}

TEST(DumpConfigTest, MasksEverySecret) {
  auto config = Parse(kSecretive);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  std::string dump = DumpConfig(*config);
  for (const char* secret :
       {"2235e5c99219488ea93da34b9ac1cb68", "1b13ae41ee7c898ce3c49d04781eb908", "oldsecret99",
        "aaaa1111", "bbbb2222", "newsecret77", "cccc3333", "pgpassword1", "mailpassword1"}) {
    EXPECT_THAT(dump, Not(HasSubstr(secret))) << secret;
  }
  EXPECT_THAT(dump, HasSubstr("\"https://2235…@sentry.example.com/4\": "
                              "\"https://1b13…@sentry.example.com/2\""));
  EXPECT_THAT(dump, HasSubstr("\"https://aaaa…:olds…@old.example/5\": "
                              "[\"https://bbbb…@sentry.example.com/6\", "
                              "\"https://cccc…:news…@o1.example:8443/7\"]"));
  EXPECT_THAT(dump, HasSubstr("postgres_url: \"postgresql://ferry:***@db.example/ferry\""));
  EXPECT_THAT(dump, HasSubstr("password: \"mail\xE2\x80\xA6\""));
}

TEST(DumpConfigTest, WritesEverySectionAndKeyOfTheDefaults) {
  auto config = Parse("");
  ASSERT_TRUE(config.ok());
  std::string dump = DumpConfig(*config);
  for (const char* key : {"server:",
                          "listen:",
                          "public_url:",
                          "trusted_proxies: []",
                          "tls:",
                          "cert_file:",
                          "key_file:",
                          "threads: 0",
                          "data_dir:",
                          "limits:",
                          "max_envelope_bytes: 209715200",
                          "max_event_bytes:",
                          "request_timeout_ms:",
                          "idle_timeout_ms:",
                          "max_connections:",
                          "tunnel:",
                          "enabled: true",
                          "paths: [\"/tunnel\"]",
                          "allowed_origins: [\"*\"]",
                          "allowed_hosts: []",
                          "allowed_projects: []",
                          "remap: {}",
                          "delivery: durable",
                          "upstreams: {}",
                          "spool:",
                          "max_bytes:",
                          "max_age_hours:",
                          "store:",
                          "backend: sqlite",
                          "sqlite_path: \"./data/ferry.db\"",
                          "postgres_url:",
                          "retention_days: 30",
                          "mail:",
                          "host:",
                          "port: 587",
                          "tls: starttls",
                          "username:",
                          "password: \"\"",
                          "from:",
                          "to: []",
                          "ca_file: \"\"",
                          "batch_interval_seconds: 60",
                          "timeout_ms: 30000",
                          "log:",
                          "level: info",
                          "format: text"}) {
    EXPECT_THAT(dump, HasSubstr(key));
  }
}

// Every field except the masked secrets survives Dump → Parse.
void ExpectSameExceptSecrets(const Config& a, const Config& b) {
  EXPECT_EQ(a.server.listen, b.server.listen);
  EXPECT_EQ(a.server.listen_host, b.server.listen_host);
  EXPECT_EQ(a.server.listen_port, b.server.listen_port);
  EXPECT_EQ(a.server.public_url, b.server.public_url);
  ASSERT_EQ(a.server.trusted_proxies.size(), b.server.trusted_proxies.size());
  for (size_t i = 0; i < a.server.trusted_proxies.size(); ++i) {
    EXPECT_EQ(a.server.trusted_proxies[i].text, b.server.trusted_proxies[i].text);
    EXPECT_EQ(a.server.trusted_proxies[i].addr, b.server.trusted_proxies[i].addr);
  }
  EXPECT_EQ(a.server.tls.cert_file, b.server.tls.cert_file);
  EXPECT_EQ(a.server.tls.key_file, b.server.tls.key_file);
  EXPECT_EQ(a.server.threads, b.server.threads);
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.limits.max_envelope_bytes, b.limits.max_envelope_bytes);
  EXPECT_EQ(a.limits.max_event_bytes, b.limits.max_event_bytes);
  EXPECT_EQ(a.limits.request_timeout_ms, b.limits.request_timeout_ms);
  EXPECT_EQ(a.limits.idle_timeout_ms, b.limits.idle_timeout_ms);
  EXPECT_EQ(a.limits.max_connections, b.limits.max_connections);
  EXPECT_EQ(a.tunnel.enabled, b.tunnel.enabled);
  EXPECT_EQ(a.tunnel.paths, b.tunnel.paths);
  EXPECT_EQ(a.tunnel.allowed_origins, b.tunnel.allowed_origins);
  EXPECT_EQ(a.tunnel.allowed_hosts, b.tunnel.allowed_hosts);
  EXPECT_EQ(a.tunnel.allowed_projects, b.tunnel.allowed_projects);
  EXPECT_EQ(a.tunnel.remap.size(), b.tunnel.remap.size());
  EXPECT_EQ(a.tunnel.delivery, b.tunnel.delivery);
  ASSERT_EQ(a.upstreams.size(), b.upstreams.size());
  for (const auto& [host, up] : a.upstreams) {
    ASSERT_EQ(b.upstreams.count(host), 1u) << host;
    EXPECT_EQ(up.url, b.upstreams.at(host).url);
    EXPECT_EQ(up.ca_file, b.upstreams.at(host).ca_file);
    EXPECT_EQ(up.timeout_ms, b.upstreams.at(host).timeout_ms);
    EXPECT_EQ(up.connect_timeout_ms, b.upstreams.at(host).connect_timeout_ms);
  }
  EXPECT_EQ(a.spool.max_bytes, b.spool.max_bytes);
  EXPECT_EQ(a.spool.max_age_hours, b.spool.max_age_hours);
  EXPECT_EQ(a.store.enabled, b.store.enabled);
  EXPECT_EQ(a.store.backend, b.store.backend);
  EXPECT_EQ(a.store.sqlite_path, b.store.sqlite_path);
  EXPECT_EQ(a.store.retention_days, b.store.retention_days);
  EXPECT_EQ(a.store.max_events_per_project, b.store.max_events_per_project);
  EXPECT_EQ(a.mail.host, b.mail.host);
  EXPECT_EQ(a.mail.port, b.mail.port);
  EXPECT_EQ(a.mail.tls, b.mail.tls);
  EXPECT_EQ(a.mail.username, b.mail.username);
  EXPECT_EQ(a.mail.from, b.mail.from);
  EXPECT_EQ(a.mail.to, b.mail.to);
  EXPECT_EQ(a.mail.ca_file, b.mail.ca_file);
  EXPECT_EQ(a.mail.batch_interval_seconds, b.mail.batch_interval_seconds);
  EXPECT_EQ(a.mail.timeout_ms, b.mail.timeout_ms);
  EXPECT_EQ(a.log.level, b.log.level);
  EXPECT_EQ(a.log.format, b.log.format);
}

TEST(DumpConfigTest, RoundTripsThroughParseConfig) {
  for (const char* yaml : {"", kSecretive}) {
    auto original = Parse(yaml);
    ASSERT_TRUE(original.ok()) << original.status().ToString();
    std::string dump = DumpConfig(*original);
    auto reparsed = Parse(dump);
    ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString() << "\n" << dump;
    ExpectSameExceptSecrets(*original, *reparsed);
    EXPECT_EQ(DumpConfig(*reparsed), dump) << "a dump of a dump is the same dump";
  }
}

TEST(DumpConfigTest, LiteralDollarBraceAndOddCharactersSurvive) {
  Config config;
  config.data_dir = "/data/${not_a_var}/\"quoted\"\\back\ttab\x01";
  config.mail.username = "$${x}";
  config.server.public_url = "http://127.0.0.1:9000";
  auto reparsed = Parse(DumpConfig(config));
  ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString() << "\n" << DumpConfig(config);
  EXPECT_EQ(reparsed->data_dir, config.data_dir);
  EXPECT_EQ(reparsed->mail.username, config.mail.username);
}

TEST(DumpConfigTest, RemapKeysThatMaskAlikeStayReadable) {
  auto config = Parse(R"(
tunnel:
  remap:
    "https://abcd1111@h.example/1": "https://new1@h.example/2"
    "https://abcd2222@h.example/1": "https://new2@h.example/2"
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  std::string dump = DumpConfig(*config);
  auto reparsed = Parse(dump);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString() << "\n" << dump;
  EXPECT_EQ(reparsed->tunnel.remap.size(), 1u);
}

}  // namespace
}  // namespace ferry::config
