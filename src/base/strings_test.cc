#include "base/strings.h"

#include <gtest/gtest.h>

namespace ferry::base {
namespace {

TEST(MaskSecretTest, KeepsFourCharacters) {
  EXPECT_EQ(MaskSecret("2235e5c99219488ea93da34b9ac1cb68"), "2235\xE2\x80\xA6");
  EXPECT_EQ(MaskSecret("ab"), "ab\xE2\x80\xA6");
  EXPECT_EQ(MaskSecret(""), "");
}

TEST(JsonQuoteTest, EscapesControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(EqualsIgnoreCaseTest, ComparesAscii) {
  EXPECT_TRUE(EqualsIgnoreCase("Sentry.Example.COM", "sentry.example.com"));
  EXPECT_FALSE(EqualsIgnoreCase("sentry.example.com", "sentry.example.co"));
}

}  // namespace
}  // namespace ferry::base
