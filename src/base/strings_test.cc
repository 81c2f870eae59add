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

TEST(JsonQuoteTest, KeepsPlainRunsAndUtf8AroundEscapes) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain text"), "\"plain text\"");
  EXPECT_EQ(JsonQuote("\"start and end\\"), "\"\\\"start and end\\\\\"");
  EXPECT_EQ(JsonQuote("tab\there\x1f\x7f caf\xC3\xA9\r"),
            "\"tab\\there\\u001f\x7f caf\xC3\xA9\\r\"");
}

// Byte by byte, the way the escaping is specified.
std::string EscapedByteByByte(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += "0123456789abcdef"[c >> 4];
      out += "0123456789abcdef"[c & 0x0F];
    } else {
      out += ch;
    }
  }
  return out;
}

TEST(AppendJsonEscapedTest, FindsEveryEscapeAtEveryOffset) {
  // The plain bytes are skipped in 8-byte steps: put each special byte at every offset of
  // strings of many lengths, among neighbours that are close to it in value.
  const std::string specials = std::string("\"\\\n\r\t\x01\x1f", 7) + std::string(1, '\0');
  for (size_t len = 1; len <= 40; ++len) {
    for (char special : specials) {
      for (size_t pos = 0; pos < len; ++pos) {
        std::string s(len, 'a');
        for (size_t k = 0; k < len; ++k) s[k] = "a !#[]\x7f\x80\xff\xC3\xA9"[k % 11];
        s[pos] = special;
        std::string out = "prefix";
        AppendJsonEscaped(out, s);
        ASSERT_EQ(out, "prefix" + EscapedByteByByte(s)) << "len " << len << " pos " << pos;
      }
    }
  }
}

TEST(EqualsIgnoreCaseTest, ComparesAscii) {
  EXPECT_TRUE(EqualsIgnoreCase("Sentry.Example.COM", "sentry.example.com"));
  EXPECT_FALSE(EqualsIgnoreCase("sentry.example.com", "sentry.example.co"));
}

}  // namespace
}  // namespace ferry::base
