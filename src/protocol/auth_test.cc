#include "protocol/auth.h"

#include <gtest/gtest.h>

namespace ferry::protocol {
namespace {

TEST(ParseAuthHeaderTest, ParsesSdkHeader) {
  auto a = ParseAuthHeader(
      "Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.javascript.node/8.0.0");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->sentry_key, "abc");
  EXPECT_EQ(a->sentry_version, "7");
  EXPECT_EQ(a->sentry_client, "sentry.javascript.node/8.0.0");
  EXPECT_EQ(a->sentry_secret, "");
}

TEST(ParseAuthHeaderTest, ToleratesWhitespaceQuotesAndCase) {
  const std::string with_timestamp =
      std::string("Sentry sentry_timestamp=1700000000.1, sentry_key=abc,, ") +
      "sentry_version=7, sentry_client=x";
  for (std::string_view header :
       {std::string_view("sentry sentry_version=7,sentry_key=abc,sentry_client=x"),
        std::string_view("  SENTRY   sentry_key = abc ,\tsentry_version=7 , sentry_client=x  "),
        std::string_view("Sentry sentry_key=\"abc\", sentry_version=\"7\", sentry_client=\"x\""),
        std::string_view("sentry_key=abc, sentry_version=7, sentry_client=x,"),
        std::string_view(with_timestamp)}) {
    auto a = ParseAuthHeader(header);
    ASSERT_TRUE(a.ok()) << header << ": " << a.status().ToString();
    EXPECT_EQ(a->sentry_key, "abc") << header;
    EXPECT_EQ(a->sentry_version, "7") << header;
    EXPECT_EQ(a->sentry_client, "x") << header;
  }
}

TEST(ParseAuthHeaderTest, ReadsSecret) {
  auto a = ParseAuthHeader("Sentry sentry_key=k, sentry_secret=s");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->sentry_secret, "s");
}

TEST(ParseAuthHeaderTest, RejectsOtherSchemes) {
  for (std::string_view header : {"Bearer abc", "Basic dXNlcjpwYXNz", "Token sentry_key=abc"}) {
    auto a = ParseAuthHeader(header);
    ASSERT_FALSE(a.ok()) << header;
    EXPECT_EQ(a.status().code(), base::Code::kInvalidArgument);
    EXPECT_EQ(a.status().detail(), "auth scheme is not Sentry");
  }
}

TEST(ParseAuthHeaderTest, RejectsMalformedPairsAndMissingKey) {
  EXPECT_EQ(ParseAuthHeader("Sentry sentry_key").status().detail(), "malformed auth header pair");
  EXPECT_EQ(ParseAuthHeader("Sentry =abc").status().detail(), "malformed auth header pair");
  EXPECT_EQ(ParseAuthHeader("Sentry sentry_version=7").status().detail(),
            "auth header has no sentry_key");
  EXPECT_EQ(ParseAuthHeader("Sentry sentry_key=").status().detail(),
            "auth header has no sentry_key");
  EXPECT_EQ(ParseAuthHeader("").status().detail(), "auth scheme is not Sentry");
  EXPECT_EQ(ParseAuthHeader("Sentry").status().detail(), "auth header has no sentry_key");
}

TEST(ParseAuthQueryTest, ReadsSentryParameters) {
  auto a = ParseAuthQuery(
      "sentry_version=7&sentry_key=abc&sentry_client=sentry.javascript."
      "browser%2F8.1.0&other=1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->sentry_key, "abc");
  EXPECT_EQ(a->sentry_version, "7");
  EXPECT_EQ(a->sentry_client, "sentry.javascript.browser/8.1.0");
}

TEST(ParseAuthQueryTest, NulloptWithoutKey) {
  EXPECT_FALSE(ParseAuthQuery("").has_value());
  EXPECT_FALSE(ParseAuthQuery("sentry_version=7").has_value());
  EXPECT_FALSE(ParseAuthQuery("sentry_key=").has_value());
}

TEST(QueryParamTest, PercentDecodesAndFindsFirst) {
  EXPECT_EQ(QueryParam("a=1&b=x%20y+z&a=2", "a"), "1");
  EXPECT_EQ(QueryParam("a=1&b=x%20y+z", "b"), "x y z");
  EXPECT_EQ(QueryParam("flag&x=1", "flag"), "");
  EXPECT_EQ(QueryParam("sentry%5Fkey=k", "sentry_key"), "k");
  EXPECT_EQ(QueryParam("a=%zz%4", "a"), "%zz%4");
  EXPECT_FALSE(QueryParam("ab=1", "a").has_value());
  EXPECT_FALSE(QueryParam("", "a").has_value());
}

}  // namespace
}  // namespace ferry::protocol
