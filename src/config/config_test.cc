#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "config/parse.h"

namespace ferry::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The example of DESIGN.md §2.2, verbatim.
constexpr char kDesignExample[] = R"yaml(
server:
  listen: "127.0.0.1:9000"            # host:port ([::1]:9000 for IPv6)
  public_url: "http://127.0.0.1:9000" # base of the DSNs ferry issues and of links in mails
  trusted_proxies: []                 # CIDRs whose X-Forwarded-For / X-Real-IP / CF-Connecting-IP are believed
  tls: { cert_file: "", key_file: "" }  # optional: ferry terminates TLS itself
data_dir: "./data"                    # store, spool, attachments

limits:
  max_envelope_bytes: 209715200       # after decompression (Relay: 200 MiB)
  max_event_bytes: 1048576            # one event item
  request_timeout_ms: 30000

tunnel:
  enabled: true
  paths: ["/tunnel"]                  # POST here is tunneled; a trailing * matches a prefix:
                                      # "/*" = every path (a dedicated tunnel host, like the reference worker)
  allowed_origins: ["*"]              # CORS
  allowed_hosts: []                   # DSN hosts (after remap) it may forward to; a DSN with a non-default
                                      # port matches only a "host:port" entry; ferry's own public_url
                                      # host:port is always allowed (local store)
  allowed_projects: []                # optional "host/project_id" entries; empty = any project of an allowed host
  remap:                              # exact DSN string as sent by the client → new DSN, or a list (fan-out)
    "https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4": "https://1b13ae41ee7c898ce3c49d04781eb908@sentry.example.com/2"
  delivery: durable                   # durable: spool, answer 200 at once, deliver with retries
                                      # direct: wait for the upstream and pass its answer through

upstreams:                            # optional per DSN host: where to connect (like curl --resolve)
  "sentry.example.com": { url: "http://127.0.0.1:9001", ca_file: "", timeout_ms: 5000 }

spool:
  max_bytes: 1073741824               # full → 503, nothing accepted is dropped
  max_age_hours: 72

store:
  enabled: true
  backend: sqlite                     # sqlite | postgres
  sqlite_path: ""                     # default <data_dir>/ferry.db
  postgres_url: ""                    # e.g. postgresql://ferry@127.0.0.1/ferry
  retention_days: 30                  # Sentry's SENTRY_EVENT_RETENTION_DAYS

mail:                                 # Sentry's mail.* settings
  host: ""                            # empty = no mail
  port: 587
  tls: starttls                       # starttls | tls | none
  username: ""
  password: "${FERRY_MAIL_PASSWORD}"  # ${VAR} is expanded from the environment
  from: "ferry@localhost"

log: { level: info, format: text }    # text | json
)yaml";

std::map<std::string, std::string> g_env;

internal::EnvLookup FakeEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    auto it = g_env.find(name);
    if (it == g_env.end()) return std::nullopt;
    return it->second;
  };
}

base::Result<Config> Parse(const std::string& yaml) {
  return internal::ParseConfigWithEnv(yaml, "ferry.yml", FakeEnv());
}

// The error detail of parsing `yaml`, or "" when it parsed.
std::string Error(const std::string& yaml) {
  auto config = Parse(yaml);
  return config.ok() ? "" : config.status().detail();
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { g_env.clear(); }
};

TEST_F(ConfigTest, EmptyDocumentGivesTheDocumentedDefaults) {
  auto config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen, "127.0.0.1:9000");
  EXPECT_EQ(config->server.listen_host, "127.0.0.1");
  EXPECT_EQ(config->server.listen_port, 9000);
  EXPECT_EQ(config->server.public_url, "http://127.0.0.1:9000");
  EXPECT_TRUE(config->server.trusted_proxies.empty());
  EXPECT_EQ(config->server.threads, 0);
  EXPECT_EQ(config->data_dir, "./data");
  EXPECT_EQ(config->limits.max_envelope_bytes, 209715200u);
  EXPECT_EQ(config->limits.max_event_bytes, 1048576u);
  EXPECT_EQ(config->limits.request_timeout_ms, 30000u);
  EXPECT_EQ(config->limits.idle_timeout_ms, 75000u);
  EXPECT_EQ(config->limits.max_connections, 10000u);
  EXPECT_TRUE(config->tunnel.enabled);
  EXPECT_THAT(config->tunnel.paths, ElementsAre("/tunnel"));
  EXPECT_THAT(config->tunnel.allowed_origins, ElementsAre("*"));
  EXPECT_TRUE(config->tunnel.allowed_hosts.empty());
  EXPECT_TRUE(config->tunnel.remap.empty());
  EXPECT_EQ(config->tunnel.delivery, Delivery::kDurable);
  EXPECT_TRUE(config->upstreams.empty());
  EXPECT_EQ(config->spool.max_bytes, 1073741824u);
  EXPECT_EQ(config->spool.max_age_hours, 72u);
  EXPECT_TRUE(config->store.enabled);
  EXPECT_EQ(config->store.backend, "sqlite");
  EXPECT_EQ(config->store.sqlite_path, "./data/ferry.db");
  EXPECT_EQ(config->store.retention_days, 30u);
  EXPECT_EQ(config->mail.host, "");
  EXPECT_EQ(config->mail.port, 587);
  EXPECT_EQ(config->mail.tls, MailTls::kStartTls);
  EXPECT_EQ(config->mail.from, "ferry@localhost");
  EXPECT_EQ(config->log.level, base::LogLevel::kInfo);
  EXPECT_EQ(config->log.format, base::LogFormat::kText);
  EXPECT_EQ(config->source, "ferry.yml");
}

TEST_F(ConfigTest, CommentOnlyDocumentAndEmptySectionsGiveDefaults) {
  auto config = Parse("# nothing here\nserver:\nmail: ~\ntunnel: {}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen_port, 9000);
  EXPECT_THAT(config->tunnel.paths, ElementsAre("/tunnel"));
}

TEST_F(ConfigTest, DesignExampleParses) {
  g_env["FERRY_MAIL_PASSWORD"] = "hunter2";
  auto config = Parse(kDesignExample);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->tunnel.delivery, Delivery::kDurable);
  EXPECT_EQ(config->mail.password, "hunter2");
  ASSERT_EQ(config->tunnel.remap.size(), 1u);
  EXPECT_THAT(
      config->tunnel.remap.at("https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4"),
      ElementsAre("https://1b13ae41ee7c898ce3c49d04781eb908@sentry.example.com/2"));
  ASSERT_EQ(config->upstreams.count("sentry.example.com"), 1u);
  const UpstreamConfig& up = config->upstreams.at("sentry.example.com");
  EXPECT_EQ(up.url, "http://127.0.0.1:9001");
  EXPECT_EQ(up.timeout_ms, 5000u);
  EXPECT_EQ(up.connect_timeout_ms, 5000u);
}

TEST_F(ConfigTest, WorkersAndInflightBudgetDefaultFromTheMachine) {
  auto config = Parse("limits: { max_envelope_bytes: 1000000, max_event_bytes: 1000 }\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_GE(config->server.workers, 2);
  EXPECT_GE(config->limits.max_inflight_bytes, 2 * 1000000u + (64u << 20))
      << "one request at the limits must always fit";
  auto set = Parse("server: { workers: 3 }\nlimits: { max_inflight_bytes: 4096 }\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->server.workers, 3);
  EXPECT_EQ(set->limits.max_inflight_bytes, 4096u);
  EXPECT_THAT(Error("server: { workers: -1 }"), HasSubstr("server.workers"));
}

TEST_F(ConfigTest, ExtensionKeysAreAccepted) {
  auto config = Parse(R"(
server: { threads: 4 }
limits: { idle_timeout_ms: 1000, max_connections: 50 }
upstreams:
  "Sentry.Example.com:8443": { url: "https://10.0.0.5:8443/", connect_timeout_ms: 250 }
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.threads, 4);
  EXPECT_EQ(config->limits.idle_timeout_ms, 1000u);
  EXPECT_EQ(config->limits.max_connections, 50u);
  const UpstreamConfig& up = config->upstreams.at("sentry.example.com:8443");
  EXPECT_EQ(up.url, "https://10.0.0.5:8443");
  EXPECT_EQ(up.connect_timeout_ms, 250u);
  EXPECT_EQ(up.timeout_ms, 30000u) << "an unset upstream timeout is the request timeout";
}

TEST_F(ConfigTest, UnknownKeyIsAnErrorNamingTheKey) {
  std::string error = Error("tunnel:\n  alowed_hosts: []\n");
  EXPECT_THAT(error, StartsWith("ferry.yml: "));
  EXPECT_THAT(error, HasSubstr("unknown key \"tunnel.alowed_hosts\""));
  EXPECT_THAT(error, HasSubstr("did you mean \"tunnel.allowed_hosts\"?"));
  EXPECT_THAT(error, HasSubstr("line 2"));
}

TEST_F(ConfigTest, UnknownKeyIsAnErrorAtEveryLevel) {
  EXPECT_THAT(Error("colour: red\n"), HasSubstr("unknown key \"colour\""));
  EXPECT_THAT(Error("server: { tls: { cert: x } }\n"),
              HasSubstr("unknown key \"server.tls.cert\""));
  EXPECT_THAT(Error("upstreams: { \"a.example\": { urll: \"http://x\" } }\n"),
              HasSubstr("unknown key \"upstreams.a.example.urll\" (did you mean "
                        "\"upstreams.a.example.url\"?)"));
  EXPECT_THAT(Error("log: { colour: true }\n"), Not(HasSubstr("did you mean")));
}

TEST_F(ConfigTest, WrongTypesNameTheKeyAndWhatIsExpected) {
  EXPECT_EQ(Error("limits:\n  max_envelope_bytes: abc\n"),
            "ferry.yml: limits.max_envelope_bytes: expected a positive integer, got \"abc\" "
            "(line 2)");
  EXPECT_THAT(Error("limits: { max_event_bytes: 0 }"),
              HasSubstr("limits.max_event_bytes: expected a positive integer, got \"0\""));
  EXPECT_THAT(Error("limits: { request_timeout_ms: 99999999999 }"),
              HasSubstr("limits.request_timeout_ms: expected a positive integer up to 4294967295"));
  EXPECT_THAT(Error("limits: { max_connections: -1 }"), HasSubstr("limits.max_connections"));
  EXPECT_THAT(Error("tunnel: { enabled: maybe }"),
              HasSubstr("tunnel.enabled: expected true or false, got \"maybe\""));
  EXPECT_THAT(Error("tunnel: { paths: \"/tunnel\" }"),
              HasSubstr("tunnel.paths: expected a list, got a string"));
  EXPECT_THAT(Error("tunnel: { paths: [[\"/a\"]] }"),
              HasSubstr("tunnel.paths[0]: expected a single value, got a list"));
  EXPECT_THAT(Error("server: 5"), HasSubstr("server: expected a map, got a string"));
  EXPECT_THAT(Error("- a\n- b\n"), HasSubstr("config: expected a map, got a list"));
  EXPECT_THAT(Error("mail: { port: 70000 }"), HasSubstr("mail.port: expected a positive integer "
                                                        "up to 65535"));
  EXPECT_THAT(Error("server: { threads: 2000 }"), HasSubstr("server.threads"));
  EXPECT_THAT(Error("spool: { max_age_hours: 0 }"), HasSubstr("spool.max_age_hours"));
  EXPECT_THAT(Error("store: { retention_days: x }"), HasSubstr("store.retention_days"));
  EXPECT_THAT(Error("data_dir: \"\""), HasSubstr("data_dir: expected a directory path"));
}

TEST_F(ConfigTest, ThreadsZeroMeansOnePerCore) {
  auto config = Parse("server: { threads: 0 }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.threads, 0);
}

TEST_F(ConfigTest, EnumsAcceptTheirDocumentedValuesOnly) {
  auto config = Parse(R"(
store: { backend: postgres, postgres_url: "postgresql://ferry@127.0.0.1/ferry" }
mail: { tls: none }
log: { level: debug, format: json }
tunnel: { delivery: direct }
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->store.backend, "postgres");
  EXPECT_EQ(config->mail.tls, MailTls::kNone);
  EXPECT_EQ(config->log.level, base::LogLevel::kDebug);
  EXPECT_EQ(config->log.format, base::LogFormat::kJson);
  EXPECT_EQ(config->tunnel.delivery, Delivery::kDirect);

  EXPECT_THAT(Error("store: { backend: mysql }"),
              HasSubstr("store.backend: expected sqlite | postgres, got \"mysql\""));
  EXPECT_THAT(Error("mail: { tls: ssl }"), HasSubstr("mail.tls: expected starttls | tls | none"));
  EXPECT_THAT(Error("log: { level: loud }"), HasSubstr("log.level: expected debug | info"));
  EXPECT_THAT(Error("log: { format: xml }"), HasSubstr("log.format: expected text | json"));
  EXPECT_THAT(Error("tunnel: { delivery: later }"),
              HasSubstr("tunnel.delivery: expected direct | durable"));
}

TEST_F(ConfigTest, ListenAcceptsHostPortAndBracketedIpv6) {
  auto v6 = Parse("server: { listen: \"[::1]:0\" }");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->server.listen_host, "::1");
  EXPECT_EQ(v6->server.listen_port, 0);
  EXPECT_EQ(v6->server.public_url, "http://[::1]:0");

  auto any = Parse("server: { listen: \"0.0.0.0:8080\", public_url: \"https://t.example/\" }");
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  EXPECT_EQ(any->server.listen_host, "0.0.0.0");
  EXPECT_EQ(any->server.listen_port, 8080);
  EXPECT_EQ(any->server.public_url, "https://t.example") << "stored without a trailing slash";

  EXPECT_THAT(Error("server: { listen: \"9000\" }"),
              HasSubstr("server.listen: expected host:port"));
  EXPECT_THAT(Error("server: { listen: \"::1:9000\" }"), HasSubstr("needs brackets"));
  EXPECT_THAT(Error("server: { listen: \"localhost:65536\" }"), HasSubstr("server.listen"));
  EXPECT_THAT(Error("server: { listen: \"http://localhost:9000\" }"), HasSubstr("not a URL"));
}

TEST_F(ConfigTest, PublicUrlMustBeHttpOrHttps) {
  auto config = Parse("server: { public_url: \"https://errors.example.com/sentry/\" }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.public_url, "https://errors.example.com/sentry");
  EXPECT_THAT(Error("server: { public_url: \"ftp://x\" }"),
              HasSubstr("server.public_url: expected an http(s) URL, got \"ftp://x\""));
  EXPECT_THAT(Error("server: { public_url: \"errors.example.com\" }"),
              HasSubstr("server.public_url"));
  EXPECT_THAT(Error("server: { public_url: \"https://x/?a=b\" }"), HasSubstr("no query"));
}

TEST_F(ConfigTest, TrustedProxiesAreCidrs) {
  auto config = Parse("server: { trusted_proxies: [\"10.0.0.0/8\", \"::1\"] }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->server.trusted_proxies.size(), 2u);
  EXPECT_TRUE(config->server.trusted_proxies[0].Contains("10.1.2.3"));
  EXPECT_TRUE(config->server.trusted_proxies[1].Contains("::1"));
  EXPECT_THAT(Error("server: { trusted_proxies: [\"10.0.0.0/33\"] }"),
              HasSubstr("server.trusted_proxies[0]: expected a CIDR"));
  EXPECT_THAT(Error("server: { trusted_proxies: [\"localhost\"] }"),
              HasSubstr("server.trusted_proxies[0]"));
}

TEST_F(ConfigTest, TlsNeedsBothCertAndKey) {
  EXPECT_THAT(Error("server: { tls: { cert_file: a.pem } }"),
              HasSubstr("server.tls: cert_file and key_file must be set together"));
  auto both = Parse("server: { tls: { cert_file: a.pem, key_file: a.key } }");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->server.tls.key_file, "a.key");
}

TEST_F(ConfigTest, TunnelPathsStartWithSlashAndStarOnlyAtTheEnd) {
  auto config = Parse("tunnel: { paths: [\"/*\", \"/t/x*\", \"/plain\"] }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->tunnel.paths, ElementsAre("/*", "/t/x*", "/plain"));
  EXPECT_THAT(Error("tunnel: { paths: [\"tunnel\"] }"),
              HasSubstr("tunnel.paths[0]: expected a path starting with '/'"));
  EXPECT_THAT(Error("tunnel: { paths: [\"/ok\", \"/a*/b\"] }"),
              HasSubstr("tunnel.paths[1]: '*' is only allowed as the last character"));
  EXPECT_THAT(Error("tunnel: { paths: [] }"), HasSubstr("tunnel.paths: expected at least one"));
}

TEST_F(ConfigTest, AllowedHostsAreLowerCasedHostOrHostPort) {
  auto config = Parse(
      "tunnel: { allowed_hosts: [\"Sentry.Example.com\", \"o1.ingest.example:8443\", "
      "\"[::1]:9001\"] }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->tunnel.allowed_hosts,
              ElementsAre("sentry.example.com", "o1.ingest.example:8443", "[::1]:9001"));
  EXPECT_THAT(Error("tunnel: { allowed_hosts: [\"https://sentry.example.com\"] }"),
              HasSubstr("tunnel.allowed_hosts[0]: expected a host or host:port, not a URL "
                        "(write \"sentry.example.com\")"));
  EXPECT_THAT(Error("tunnel: { allowed_hosts: [\"sentry.example.com/4\"] }"),
              HasSubstr("without a path"));
  EXPECT_THAT(Error("tunnel: { allowed_hosts: [\"a.example:0\"] }"), HasSubstr("port"));
}

TEST_F(ConfigTest, AllowedProjectsAreHostSlashDigits) {
  auto config = Parse("tunnel: { allowed_projects: [\"Sentry.example.com/4\", \"h:8443/12\"] }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->tunnel.allowed_projects, ElementsAre("sentry.example.com/4", "h:8443/12"));
  EXPECT_THAT(Error("tunnel: { allowed_projects: [\"sentry.example.com\"] }"),
              HasSubstr("tunnel.allowed_projects[0]: expected host[:port]/project_id"));
  EXPECT_THAT(Error("tunnel: { allowed_projects: [\"h/abc\"] }"),
              HasSubstr("tunnel.allowed_projects[0]"));
}

TEST_F(ConfigTest, AllowedOriginsAreStarOrOrigins) {
  auto config = Parse(
      "tunnel: { allowed_origins: [\"https://App.example.com/\", \"capacitor://localhost\"] }");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->tunnel.allowed_origins,
              ElementsAre("https://app.example.com", "capacitor://localhost"));
  EXPECT_THAT(Error("tunnel: { allowed_origins: [\"https://a.example/x\"] }"),
              HasSubstr("tunnel.allowed_origins[0]"));
}

TEST_F(ConfigTest, RemapTakesOneDsnOrANonEmptyList) {
  auto config = Parse(R"(
tunnel:
  remap:
    "https://old1@sentry.example.com/4": "https://new1@sentry.example.com/2"
    "http://old2:secret@[::1]:9000/sub/path/7":
      - "https://a@one.example/1"
      - "https://b@two.example:8443/x/3"
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->tunnel.remap.at("https://old1@sentry.example.com/4"),
              ElementsAre("https://new1@sentry.example.com/2"));
  EXPECT_THAT(config->tunnel.remap.at("http://old2:secret@[::1]:9000/sub/path/7"),
              ElementsAre("https://a@one.example/1", "https://b@two.example:8443/x/3"));
}

TEST_F(ConfigTest, RemapRejectsBadDsnsOnBothSidesWithoutPrintingKeys) {
  std::string bad_key = Error(
      "tunnel: { remap: { \"https://2235e5c99219@sentry.example.com/abc\": "
      "\"https://k@h/1\" } }");
  EXPECT_THAT(bad_key, HasSubstr("tunnel.remap[\"https://2235…@sentry.example.com/abc\"]: "
                                 "expected a DSN"));
  EXPECT_THAT(bad_key, HasSubstr("no project id"));
  EXPECT_THAT(bad_key, Not(HasSubstr("2235e5c99219")));

  std::string bad_target =
      Error("tunnel: { remap: { \"https://k@h/1\": \"ftp://secretkey123@h/2\" } }");
  EXPECT_THAT(bad_target, HasSubstr("the scheme must be http or https"));
  EXPECT_THAT(bad_target, Not(HasSubstr("secretkey123")));

  EXPECT_THAT(Error("tunnel: { remap: { \"https://k@h/1\": \"https://h/2\" } }"),
              HasSubstr("no public key"));
  EXPECT_THAT(Error("tunnel: { remap: { \"https://k@h/1\": [] } }"),
              HasSubstr("expected at least one DSN"));
  EXPECT_THAT(Error("tunnel: { remap: { \"https://k@h/1\": { a: b } } }"),
              HasSubstr("expected a DSN or a list of DSNs, got a map"));
  EXPECT_THAT(Error("tunnel: { remap: { \"https://k@h/1\": [\"https://k@h/2\", \"x\"] } }"),
              HasSubstr("tunnel.remap[\"https://k…@h/1\"][1]: expected a DSN"));
  EXPECT_THAT(Error("tunnel: { remap: [] }"), HasSubstr("tunnel.remap: expected a map"));
}

TEST_F(ConfigTest, UpstreamsAreValidated) {
  EXPECT_THAT(Error("upstreams: { \"https://h.example\": { url: \"http://x\" } }"),
              HasSubstr("not a URL"));
  EXPECT_THAT(Error("upstreams: { \"h.example\": { url: \"http://x/api\" } }"),
              HasSubstr("upstreams.h.example.url: expected an http(s) URL without a path"));
  EXPECT_THAT(Error("upstreams: { \"h.example\": { timeout_ms: 0 } }"),
              HasSubstr("upstreams.h.example.timeout_ms: expected a positive integer"));
  EXPECT_THAT(Error("upstreams: { \"h.example\": { connect_timeout_ms: x } }"),
              HasSubstr("upstreams.h.example.connect_timeout_ms"));
  EXPECT_THAT(Error("upstreams: { \"H.example\": {}, \"h.example\": {} }"),
              HasSubstr("the same host as another entry"));
  EXPECT_THAT(Error("upstreams: { \"h.example\": \"http://x\" }"),
              HasSubstr("upstreams.h.example: expected a map"));
}

TEST_F(ConfigTest, MailRecipientsBatchingAndTrust) {
  auto config = Parse(R"(
mail:
  host: smtp.example.com
  from: "Ferry Alerts <alerts@example.com>"
  to: ["ops@example.com", "dev+ferry@sub.example.org"]
  ca_file: /etc/ferry/smtp-ca.pem
  batch_interval_seconds: 5
  timeout_ms: 2000
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->mail.from, "Ferry Alerts <alerts@example.com>");
  EXPECT_THAT(config->mail.to, ElementsAre("ops@example.com", "dev+ferry@sub.example.org"));
  EXPECT_EQ(config->mail.ca_file, "/etc/ferry/smtp-ca.pem");
  EXPECT_EQ(config->mail.batch_interval_seconds, 5u);
  EXPECT_EQ(config->mail.timeout_ms, 2000u);

  auto defaults = Parse("mail: { host: smtp.example.com }");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->mail.to.empty());
  EXPECT_EQ(defaults->mail.batch_interval_seconds, 60u);

  EXPECT_THAT(Error("mail: { to: ops@example.com }"), HasSubstr("mail.to: expected a list"));
  EXPECT_THAT(Error("mail: { to: [\"ops@example.com\", \"not an address\"] }"),
              HasSubstr("mail.to[1]: expected an email address"));
  EXPECT_THAT(Error("mail: { to: [\"Ops <ops@example.com>\"] }"),
              HasSubstr("mail.to[0]: expected an email address (user@example.com)"));
  EXPECT_THAT(Error("mail: { to: [\"a@b,c@d\"] }"), HasSubstr("mail.to[0]"));
  EXPECT_THAT(Error("mail: { to: [\"@example.com\"] }"), HasSubstr("mail.to[0]"));
  EXPECT_THAT(Error("mail: { to: [\"a@b@example.com\"] }"), HasSubstr("mail.to[0]"));
  EXPECT_THAT(Error("mail: { batch_interval_seconds: 0 }"),
              HasSubstr("mail.batch_interval_seconds"));
  EXPECT_THAT(Error("mail: { batch_interval_seconds: 100000 }"),
              HasSubstr("mail.batch_interval_seconds"));
  EXPECT_THAT(Error("mail: { timeout_ms: 0 }"), HasSubstr("mail.timeout_ms"));
  EXPECT_THAT(Error("mail: { port: 0 }"), HasSubstr("mail.port"));
  EXPECT_THAT(Error("mail: { cafile: x }"), HasSubstr("did you mean \"mail.ca_file\""));
}

TEST_F(ConfigTest, StoreAndMailCrossChecks) {
  EXPECT_THAT(Error("store: { backend: postgres }"),
              HasSubstr("store.postgres_url: required when store.backend is postgres"));
  EXPECT_THAT(Error("mail: { host: smtp.example.com, username: u }"),
              HasSubstr("mail.password: empty while mail.username is set"));
  EXPECT_THAT(Error("mail: { host: \"smtp.example.com:25\" }"),
              HasSubstr("mail.host: expected a host without a port"));
  EXPECT_THAT(Error("mail: { from: nobody }"), HasSubstr("mail.from: expected an email address"));
  EXPECT_THAT(Error("mail: { from: \"a@b\\r\\nBcc: x@y\" }"), HasSubstr("mail.from"));
  EXPECT_THAT(Error("mail: { from: \"Ops <ops@>\" }"), HasSubstr("mail.from"));
  EXPECT_THAT(Error("limits: { max_envelope_bytes: 10, max_event_bytes: 11 }"),
              HasSubstr("limits.max_event_bytes: must not exceed"));
  auto config = Parse("data_dir: /var/lib/ferry/\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->store.sqlite_path, "/var/lib/ferry/ferry.db");
}

TEST_F(ConfigTest, EnvironmentVariablesAreExpandedBeforeValidation) {
  g_env["FERRY_TEST_PORT"] = "9100";
  g_env["FERRY_TEST_KEY"] = "abcdef0123";
  auto config = Parse(R"(
server: { listen: "127.0.0.1:${FERRY_TEST_PORT}" }
limits: { max_connections: "${FERRY_TEST_CONNS:-42}" }
mail: { password: "${FERRY_TEST_UNSET}", username: "literal $${HOME} and $5" }
tunnel:
  remap:
    "https://old@h.example/1": "https://${FERRY_TEST_KEY}@h.example/2"
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen_port, 9100);
  EXPECT_EQ(config->limits.max_connections, 42u);
  EXPECT_EQ(config->mail.password, "") << "an unset variable without default is empty";
  EXPECT_EQ(config->mail.username, "literal ${HOME} and $5");
  EXPECT_THAT(config->tunnel.remap.at("https://old@h.example/1"),
              ElementsAre("https://abcdef0123@h.example/2"));
}

TEST_F(ConfigTest, ExpandedValuesAreStillValidated) {
  g_env["FERRY_TEST_BYTES"] = "lots";
  EXPECT_THAT(Error("limits: { max_envelope_bytes: \"${FERRY_TEST_BYTES}\" }"),
              HasSubstr("limits.max_envelope_bytes: expected a positive integer, got \"lots\""));
  EXPECT_THAT(Error("data_dir: \"${FERRY_TEST_NOPE\""), HasSubstr("data_dir: unterminated \"${\""));
}

TEST_F(ConfigTest, YamlSyntaxErrorsNameSourceAndLine) {
  std::string error = Error("server:\n  listen: [unclosed\n");
  EXPECT_THAT(error, StartsWith("ferry.yml: invalid YAML"));
  EXPECT_THAT(error, HasSubstr("line"));
  EXPECT_THAT(Error("log: {}\nlog: {}\n"), HasSubstr("duplicate key \"log\""));
  EXPECT_THAT(Error("a: 1\n---\nb: 2\n"), HasSubstr("one YAML document"));
}

TEST_F(ConfigTest, ProcessEnvironmentIsUsedByParseConfig) {
  ASSERT_EQ(setenv("FERRY_CONFIG_TEST_DIR", "/srv/ferry", 1), 0);
  auto config = ParseConfig("data_dir: ${FERRY_CONFIG_TEST_DIR}\n", "x.yml");
  unsetenv("FERRY_CONFIG_TEST_DIR");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->data_dir, "/srv/ferry");
}

}  // namespace
}  // namespace ferry::config
