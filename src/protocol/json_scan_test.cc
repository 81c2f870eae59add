#include "protocol/json_scan.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::protocol {
namespace {

std::vector<JsonField> MustScan(std::string_view text) {
  auto r = ScanJsonObject(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? r.value() : std::vector<JsonField>{};
}

std::string ErrorOf(std::string_view text) {
  auto r = ScanJsonObject(text);
  EXPECT_FALSE(r.ok()) << "accepted: " << text;
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
  }
  return r.ok() ? "" : r.status().detail();
}

TEST(ScanJsonObjectTest, ReportsTopLevelMembersWithSpans) {
  std::string text = R"( {"a": 1, "b" : "x", "c":{"d":[1,2,{"e":null}]}, "f":[], "g":true} )";
  auto fields = MustScan(text);
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].key, "a");
  EXPECT_EQ(fields[0].kind, JsonKind::kNumber);
  EXPECT_EQ(text.substr(fields[0].value_begin, fields[0].value_end - fields[0].value_begin), "1");
  EXPECT_EQ(fields[1].kind, JsonKind::kString);
  EXPECT_EQ(fields[1].string_value, "x");
  EXPECT_EQ(text.substr(fields[1].value_begin, fields[1].value_end - fields[1].value_begin),
            "\"x\"");
  EXPECT_EQ(fields[2].kind, JsonKind::kObject);
  EXPECT_EQ(text.substr(fields[2].value_begin, fields[2].value_end - fields[2].value_begin),
            R"({"d":[1,2,{"e":null}]})");
  EXPECT_EQ(fields[3].kind, JsonKind::kArray);
  EXPECT_EQ(text.substr(fields[3].value_begin, fields[3].value_end - fields[3].value_begin), "[]");
  EXPECT_EQ(fields[4].kind, JsonKind::kTrue);
}

TEST(ScanJsonObjectTest, AcceptsEmptyObject) { EXPECT_TRUE(MustScan(" {\r\n} ").empty()); }

TEST(ScanJsonObjectTest, KeepsDuplicateKeysAndFindReturnsLast) {
  auto fields = MustScan(R"({"k":"first","other":false,"k":"second"})");
  ASSERT_EQ(fields.size(), 3u);
  const JsonField* k = FindField(fields, "k");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->string_value, "second");
  EXPECT_EQ(FindField(fields, "missing"), nullptr);
}

TEST(ScanJsonObjectTest, UnescapesKeysAndStringValues) {
  auto fields = MustScan(R"({"a\"b":"q\"\\\/\b\f\n\r\t","u":"\u00e9\u20AC\ud83d\ude00\u0000"})");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].key, "a\"b");
  EXPECT_EQ(fields[0].string_value, "q\"\\/\b\f\n\r\t");
  EXPECT_EQ(fields[1].string_value, std::string("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\0", 10));
}

TEST(ScanJsonObjectTest, PassesRawUtf8Through) {
  auto fields = MustScan("{\"name\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}");
  EXPECT_EQ(fields[0].string_value, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(ScanJsonObjectTest, RejectsInvalidUtf8) {
  ErrorOf("{\"a\":\"\xC3\"}");              // truncated sequence
  ErrorOf("{\"a\":\"\xC0\xAF\"}");          // overlong
  ErrorOf("{\"a\":\"\xED\xA0\x80\"}");      // encoded surrogate
  ErrorOf("{\"a\":\"\xF4\x90\x80\x80\"}");  // past U+10FFFF
  ErrorOf("{\"a\":\"\xFF\"}");
}

TEST(ScanJsonObjectTest, RejectsLoneSurrogates) {
  ErrorOf(R"({"a":"\ud83d"})");
  ErrorOf(R"({"a":"\ud83dx"})");
  ErrorOf(R"({"a":"\ud83d\u0041"})");
  ErrorOf(R"({"a":"\ude00"})");
}

TEST(ScanJsonObjectTest, RejectsBadEscapesAndControlCharacters) {
  ErrorOf(R"({"a":"\x"})");
  ErrorOf(R"({"a":"\u12"})");
  ErrorOf(R"({"a":"\u12G4"})");
  ErrorOf("{\"a\":\"tab\there\"}");
  ErrorOf("{\"a\":\"line\nbreak\"}");
  ErrorOf(std::string("{\"a\":\"nul\0\"}", 12));
  ErrorOf(R"({"a":"unterminated})");
}

TEST(ScanJsonObjectTest, FollowsTheNumberGrammar) {
  for (const char* ok :
       {"0", "-0", "12", "-12.5", "1e5", "1E+5", "1.0e-5", "123456789012345678901"}) {
    MustScan(std::string("{\"n\":") + ok + "}");
  }
  for (const char* bad :
       {"01", "-", "+1", "1.", ".5", "1e", "1e+", "0x1", "1.e5", "--1", "NaN", "Infinity"}) {
    ErrorOf(std::string("{\"n\":") + bad + "}");
  }
}

TEST(ScanJsonObjectTest, RejectsMalformedStructure) {
  for (const char* bad : {"",
                          "   ",
                          "{",
                          "}",
                          "{\"a\"}",
                          "{\"a\":}",
                          "{\"a\":1,}",
                          "{,}",
                          "{\"a\":1 \"b\":2}",
                          "{a:1}",
                          "{'a':1}",
                          "{\"a\":[1,]}",
                          "{\"a\":[1 2]}",
                          "{\"a\":[}",
                          "{\"a\":1]",
                          "{} {}",
                          "{}x",
                          "{\"a\":tru}",
                          "{\"a\":nul}",
                          "{\"a\":True}",
                          "{\"a\":1}}",
                          "{\"a\":{\"b\":1]}"}) {
    EXPECT_NE(ErrorOf(bad), std::string(kJsonNotAnObject)) << bad;
  }
}

TEST(ScanJsonObjectTest, SaysNotAnObjectForOtherValidJson) {
  for (const char* text : {"[]", "[1,{\"a\":2}]", "\"s\"", "1", "true", "null", " [ ] "}) {
    EXPECT_EQ(ErrorOf(text), kJsonNotAnObject) << text;
  }
}

TEST(ScanJsonObjectTest, AcceptsNestingUpToTheLimit) {
  std::string text = "{\"a\":";
  text += std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_EQ(MustScan(text).size(), 1u);
}

TEST(ScanJsonObjectTest, RefusesDeepNestingWithoutRecursing) {
  std::string text = "{\"a\":" + std::string(100000, '[');
  EXPECT_EQ(ErrorOf(text), "nested too deep");
  std::string objects = "{";
  for (int i = 0; i < 100000; ++i) objects += "\"a\":{";
  EXPECT_EQ(ErrorOf(objects), "nested too deep");
}

TEST(ScanJsonObjectTest, NestedStringsAreValidatedToo) {
  ErrorOf(R"({"a":{"b":"\q"}})");
  ErrorOf(R"({"a":[{"\ud800":1}]})");
}

}  // namespace
}  // namespace ferry::protocol
