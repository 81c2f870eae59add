#include "protocol/dsn.h"

#include <gtest/gtest.h>

namespace ferry::protocol {
namespace {

Dsn MustParse(std::string_view text) {
  auto r = ParseDsn(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? r.value() : Dsn{};
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseDsn(text);
  EXPECT_FALSE(r.ok()) << "accepted: " << text;
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
  }
  return r.ok() ? "" : r.status().detail();
}

TEST(ParseDsnTest, ParsesTheCommonForm) {
  Dsn d = MustParse("https://abc123@o1.ingest.sentry.io/4505");
  EXPECT_EQ(d.scheme, "https");
  EXPECT_EQ(d.public_key, "abc123");
  EXPECT_EQ(d.secret, "");
  EXPECT_EQ(d.host, "o1.ingest.sentry.io");
  EXPECT_EQ(d.port, 0);
  EXPECT_EQ(d.path, "");
  EXPECT_EQ(d.project_id, "4505");
  EXPECT_EQ(d.EffectivePort(), 443);
  EXPECT_EQ(d.HostPort(), "o1.ingest.sentry.io");
  EXPECT_EQ(d.Origin(), "https://o1.ingest.sentry.io");
  EXPECT_EQ(d.EnvelopeUrl(), "https://o1.ingest.sentry.io/api/4505/envelope/");
  EXPECT_EQ(d.ToString(), "https://abc123@o1.ingest.sentry.io/4505");
}

TEST(ParseDsnTest, ParsesSecretPortAndPath) {
  Dsn d = MustParse("http://pub:supersecret@localhost:9000/sentry/sub/7");
  EXPECT_EQ(d.scheme, "http");
  EXPECT_EQ(d.public_key, "pub");
  EXPECT_EQ(d.secret, "supersecret");
  EXPECT_EQ(d.host, "localhost");
  EXPECT_EQ(d.port, 9000);
  EXPECT_EQ(d.path, "/sentry/sub");
  EXPECT_EQ(d.project_id, "7");
  EXPECT_EQ(d.EffectivePort(), 9000);
  EXPECT_EQ(d.HostPort(), "localhost:9000");
  EXPECT_EQ(d.EnvelopeUrl(), "http://localhost:9000/sentry/sub/api/7/envelope/");
  EXPECT_EQ(d.ToString().find("supersecret"), std::string::npos);
  EXPECT_EQ(d.ToString(), "http://pub:supe\xE2\x80\xA6@localhost:9000/sentry/sub/7");
}

TEST(ParseDsnTest, DefaultPortIsLeftOutOfHostPort) {
  Dsn d = MustParse("https://k@h:443/1");
  EXPECT_EQ(d.port, 443);
  EXPECT_EQ(d.HostPort(), "h");
  EXPECT_EQ(MustParse("http://k@h/1").EffectivePort(), 80);
}

TEST(ParseDsnTest, KeepsIpv6Brackets) {
  Dsn d = MustParse("http://k@[::1]:8080/3");
  EXPECT_EQ(d.host, "[::1]");
  EXPECT_EQ(d.port, 8080);
  EXPECT_EQ(d.HostPort(), "[::1]:8080");
  EXPECT_EQ(MustParse("https://k@[2001:DB8::1]/3").host, "[2001:db8::1]");
}

TEST(ParseDsnTest, LowerCasesHostAndScheme) {
  Dsn d = MustParse("HTTPS://Key@Sentry.Example.COM/5");
  EXPECT_EQ(d.scheme, "https");
  EXPECT_EQ(d.host, "sentry.example.com");
  EXPECT_EQ(d.public_key, "Key");
}

TEST(ParseDsnTest, ForgivesOneTrailingSlashAndIgnoresQuery) {
  EXPECT_EQ(MustParse("https://k@h/5/").project_id, "5");
  EXPECT_EQ(MustParse("https://k@h/5?timeout=1").project_id, "5");
}

TEST(ParseDsnTest, ExplainsEachError) {
  EXPECT_EQ(ErrorOf(""), "DSN is not a URL");
  EXPECT_EQ(ErrorOf("not a dsn"), "DSN is not a URL");
  EXPECT_EQ(ErrorOf("://k@h/1"), "DSN is not a URL");
  EXPECT_EQ(ErrorOf("ftp://k@h/1"), "DSN scheme must be http or https");
  EXPECT_EQ(ErrorOf("https://h/1"), "DSN has no public key");
  EXPECT_EQ(ErrorOf("https://@h/1"), "DSN has no public key");
  EXPECT_EQ(ErrorOf("https://:secret@h/1"), "DSN has no public key");
  EXPECT_EQ(ErrorOf("https://k@/1"), "DSN has no host");
  EXPECT_EQ(ErrorOf("https://k@:80/1"), "DSN has no host");
  EXPECT_EQ(ErrorOf("https://k@h:/1"), "DSN has an invalid port");
  EXPECT_EQ(ErrorOf("https://k@h:0/1"), "DSN has an invalid port");
  EXPECT_EQ(ErrorOf("https://k@h:65536/1"), "DSN has an invalid port");
  EXPECT_EQ(ErrorOf("https://k@h:99999999999/1"), "DSN has an invalid port");
  EXPECT_EQ(ErrorOf("https://k@h:8a/1"), "DSN has an invalid port");
  EXPECT_EQ(ErrorOf("https://k@h"), "DSN has no project id");
  EXPECT_EQ(ErrorOf("https://k@h/"), "DSN has no project id");
  EXPECT_EQ(ErrorOf("https://k@h/abc"), "DSN project id is not a number");
  EXPECT_EQ(ErrorOf("https://k@h/1a"), "DSN project id is not a number");
  EXPECT_EQ(ErrorOf("https://k@h/-1"), "DSN project id is not a number");
}

TEST(ParseDsnTest, RejectsMalformedHosts) {
  EXPECT_EQ(ErrorOf("https://k@ho st/1"), "DSN has an invalid host");
  EXPECT_EQ(ErrorOf("https://k@[::1/1"), "DSN has an invalid host");
  EXPECT_EQ(ErrorOf("https://k@[zz]/1"), "DSN has an invalid host");
  EXPECT_EQ(ErrorOf("https://k@[::1]x/1"), "DSN has an invalid host");
  EXPECT_EQ(ErrorOf("https://k@a:b:c/1"), "DSN has an invalid port");
}

TEST(ParseDsnTest, NeverThrowsOnOddInput) {
  for (std::string_view s : {"https://", "https://@", "https://k@[", "https://k@[]/1",
                             "https://k@h:65535", "http://k@h//1", "https://k@h/\x00/1"}) {
    (void)ParseDsn(s);
  }
  EXPECT_EQ(MustParse("http://k@h//1").path, "");
}

}  // namespace
}  // namespace ferry::protocol
