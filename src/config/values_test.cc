#include "config/values.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ferry::config::internal {
namespace {

using ::testing::HasSubstr;

std::string Ok(const base::Result<std::string>& r) {
  return r.ok() ? *r : "ERROR: " + r.status().detail();
}

TEST(ValuesTest, ParseListen) {
  auto v4 = ParseListen("127.0.0.1:9000");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9000);
  auto v6 = ParseListen("[::]:65535");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::");
  EXPECT_EQ(v6->port, 65535);
  auto name = ParseListen("LocalHost:0");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  for (const char* bad : {"", "9000", ":9000", "host:", "host:x", "host:65536", "[::1]", "[::1]9",
                          "[nope]:1", "::1:9000", "a b:1"}) {
    EXPECT_FALSE(ParseListen(bad).ok()) << bad;
  }
}

TEST(ValuesTest, NormalizeHttpUrl) {
  EXPECT_EQ(Ok(NormalizeHttpUrl("HTTPS://Sentry.Example.com/", false)),
            "https://sentry.example.com");
  EXPECT_EQ(Ok(NormalizeHttpUrl("http://[::1]:9001", false)), "http://[::1]:9001");
  EXPECT_EQ(Ok(NormalizeHttpUrl("https://x.example/Base/", true)), "https://x.example/Base");
  EXPECT_THAT(Ok(NormalizeHttpUrl("https://x.example/base", false)), HasSubstr("without a path"));
  EXPECT_THAT(Ok(NormalizeHttpUrl("https://u:p@x.example", true)), HasSubstr("no user info"));
  EXPECT_THAT(Ok(NormalizeHttpUrl("https://x.example:0", true)), HasSubstr("port"));
  EXPECT_THAT(Ok(NormalizeHttpUrl("https://", true)), HasSubstr("no host"));
  EXPECT_THAT(Ok(NormalizeHttpUrl("x.example", true)), HasSubstr("expected an http(s) URL"));
}

TEST(ValuesTest, NormalizeHost) {
  EXPECT_EQ(Ok(NormalizeHost("Sentry.Example.COM")), "sentry.example.com");
  EXPECT_EQ(Ok(NormalizeHost("h:8443")), "h:8443");
  EXPECT_EQ(Ok(NormalizeHost("[::1]")), "[::1]");
  EXPECT_THAT(Ok(NormalizeHost("https://h:1/x")), HasSubstr("not a URL (write \"h:1\")"));
  EXPECT_THAT(Ok(NormalizeHost("h/x")), HasSubstr("without a path"));
  EXPECT_THAT(Ok(NormalizeHost("")), HasSubstr("no host"));
  EXPECT_THAT(Ok(NormalizeHost("h:")), HasSubstr("port"));
  EXPECT_THAT(Ok(NormalizeHost("bad host")), HasSubstr("bad character"));
}

TEST(ValuesTest, CheckDsn) {
  for (const char* good :
       {"https://key@h.example/1", "http://key:secret@h.example:9000/1",
        "https://key@[::1]:9000/path/to/42", "HTTPS://KEY@H/1", "https://2235…@h.example/4"}) {
    EXPECT_EQ(Ok(CheckDsn(good)), good);
  }
  EXPECT_THAT(Ok(CheckDsn("h.example/1")), HasSubstr("not a URL"));
  EXPECT_THAT(Ok(CheckDsn("ftp://k@h/1")), HasSubstr("http or https"));
  EXPECT_THAT(Ok(CheckDsn("https://h/1")), HasSubstr("no public key"));
  EXPECT_THAT(Ok(CheckDsn("https://:s@h/1")), HasSubstr("no public key"));
  EXPECT_THAT(Ok(CheckDsn("https://k@/1")), HasSubstr("no host"));
  EXPECT_THAT(Ok(CheckDsn("https://k@h:99999/1")), HasSubstr("port"));
  EXPECT_THAT(Ok(CheckDsn("https://k@h")), HasSubstr("no project id"));
  EXPECT_THAT(Ok(CheckDsn("https://k@h/1/")), HasSubstr("no project id"));
  EXPECT_THAT(Ok(CheckDsn("https://k@h/x")), HasSubstr("no project id"));
  EXPECT_THAT(Ok(CheckDsn("https://k@h/1?x=1")), HasSubstr("no query"));
}

TEST(ValuesTest, MaskDsnHidesKeyAndSecret) {
  EXPECT_EQ(MaskDsn("https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4"),
            "https://2235…@sentry.example.com/4");
  EXPECT_EQ(MaskDsn("http://abcdef:s3cr3tvalue@h:1/p/2"), "http://abcd…:s3cr…@h:1/p/2");
  EXPECT_EQ(MaskDsn("no dsn here"), "no dsn here");
  EXPECT_EQ(MaskDsn("https://h.example/4"), "https://h.example/4");
  EXPECT_EQ(MaskDsn(MaskDsn("https://abcdefgh@h/1")), "https://abcd…@h/1") << "idempotent";
}

TEST(ValuesTest, MaskUrlPasswordHidesOnlyThePassword) {
  EXPECT_EQ(MaskUrlPassword("postgresql://ferry:s3cret@db.example:5432/ferry"),
            "postgresql://ferry:***@db.example:5432/ferry");
  EXPECT_EQ(MaskUrlPassword("postgresql://ferry@127.0.0.1/ferry"),
            "postgresql://ferry@127.0.0.1/ferry");
  EXPECT_EQ(MaskUrlPassword("postgresql://db/ferry?user=f&password=s3cret&x=1"),
            "postgresql://db/ferry?user=f&password=***&x=1");
  EXPECT_EQ(MaskUrlPassword("host=db password=s3cret dbname=ferry"),
            "host=db password=*** dbname=ferry");
  EXPECT_EQ(MaskUrlPassword(""), "");
}

TEST(ValuesTest, ParseUint) {
  EXPECT_EQ(*ParseUint("0", 0, 10), 0u);
  EXPECT_EQ(*ParseUint("18446744073709551615", 1, UINT64_MAX), UINT64_MAX);
  EXPECT_THAT(ParseUint("18446744073709551616", 1, UINT64_MAX).status().detail(),
              HasSubstr("up to 18446744073709551615"));
  EXPECT_EQ(ParseUint("abc", 1, 10).status().detail(), "expected a positive integer, got \"abc\"");
  for (const char* bad : {"", "-1", "+1", " 1", "1.5", "1e3", "0x10"}) {
    EXPECT_FALSE(ParseUint(bad, 0, 100).ok()) << bad;
  }
  EXPECT_THAT(ParseUint("11", 0, 10).status().detail(),
              HasSubstr("expected a non-negative integer up to 10"));
}

TEST(ValuesTest, ParseBool) {
  EXPECT_TRUE(*ParseBool("true"));
  EXPECT_TRUE(*ParseBool("True"));
  EXPECT_FALSE(*ParseBool("FALSE"));
  EXPECT_FALSE(ParseBool("yes").ok());
  EXPECT_FALSE(ParseBool("1").ok());
}

TEST(ValuesTest, EditDistance) {
  EXPECT_EQ(EditDistance("alowed_hosts", "allowed_hosts"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("same", "same"), 0u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace ferry::config::internal
