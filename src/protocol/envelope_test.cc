#include "protocol/envelope.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::protocol {
namespace {

using namespace std::string_literals;

constexpr char kDsn[] = "https://abc@o1.ingest.sentry.io/42";

Envelope MustParse(std::string_view bytes) {
  auto r = ParseEnvelope(bytes);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : Envelope{};
}

std::string ErrorOf(std::string_view bytes) {
  auto r = ParseEnvelope(bytes);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().detail();
}

TEST(ParseEnvelopeHeaderTest, ReadsTheFirstLine) {
  std::string body = R"({"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":")"s + kDsn +
                     "\"}\n{\"type\":\"event\"}\n{}\n";
  auto h = ParseEnvelopeHeader(body);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->line, body.substr(0, body.find('\n')));
  ASSERT_NE(h->Find("dsn"), nullptr);
  EXPECT_EQ(h->Find("dsn")->string_value, kDsn);
}

TEST(ParseEnvelopeHeaderTest, TrimsCarriageReturn) {
  auto h = ParseEnvelopeHeader("{\"dsn\":\"x\"}\r\n{}");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->line, "{\"dsn\":\"x\"}");
}

TEST(ParseEnvelopeHeaderTest, ExplainsEachError) {
  EXPECT_EQ(ParseEnvelopeHeader("").status().detail(), "empty envelope");
  EXPECT_EQ(ParseEnvelopeHeader(" \r\n").status().detail(), "empty envelope");
  EXPECT_EQ(ParseEnvelopeHeader("hello\n{}").status().detail(),
            "envelope header is not valid JSON");
  EXPECT_EQ(ParseEnvelopeHeader("{\"a\":\n1}").status().detail(),
            "envelope header is not valid JSON");
  EXPECT_EQ(ParseEnvelopeHeader("[1,2]\n").status().detail(),
            "envelope header is not a JSON object");
  EXPECT_EQ(ParseEnvelopeHeader("{\"a\":" + std::string(100000, '[') + "\n").status().detail(),
            "envelope header is not valid JSON");
  EXPECT_EQ(ParseEnvelopeHeader("").status().code(), base::Code::kInvalidArgument);
}

TEST(ParseEnvelopeTest, ParsesItemsWithAndWithoutLength) {
  std::string body =
      "{\"event_id\":\"e\"}\n"
      "{\"type\":\"event\",\"length\":13}\n{\"message\":1}\n"
      "{\"type\":\"session\"}\n{\"sid\":\"s\"}\n";
  Envelope e = MustParse(body);
  ASSERT_EQ(e.items.size(), 2u);
  EXPECT_EQ(e.items[0].type, "event");
  EXPECT_EQ(e.items[0].payload, "{\"message\":1}");
  EXPECT_EQ(e.items[1].type, "session");
  EXPECT_EQ(e.items[1].header, "{\"type\":\"session\"}");
  EXPECT_EQ(e.items[1].payload, "{\"sid\":\"s\"}");
}

TEST(ParseEnvelopeTest, KeepsBinaryPayloadsWithNulAndNewlines) {
  std::string payload = "\0\n\xFF\n\n{\r\n"s;
  std::string body = "{}\n{\"type\":\"attachment\",\"length\":" + std::to_string(payload.size()) +
                     ",\"filename\":\"a.bin\"}\n" + payload + "\n{\"type\":\"event\"}\n{}";
  Envelope e = MustParse(body);
  ASSERT_EQ(e.items.size(), 2u);
  EXPECT_EQ(e.items[0].type, "attachment");
  EXPECT_EQ(e.items[0].payload, payload);
  EXPECT_EQ(e.items[1].payload, "{}");
}

TEST(ParseEnvelopeTest, TrailingNewlineIsOptional) {
  EXPECT_EQ(MustParse("{}\n{\"type\":\"event\"}\n{\"a\":1}").items[0].payload, "{\"a\":1}");
  EXPECT_EQ(MustParse("{}\n{\"type\":\"event\",\"length\":3}\nabc").items[0].payload, "abc");
  EXPECT_EQ(MustParse("{}\n{\"type\":\"event\",\"length\":3}\nabc\n").items.size(), 1u);
}

TEST(ParseEnvelopeTest, HeaderOnlyEnvelopeHasNoItems) {
  EXPECT_TRUE(MustParse("{\"dsn\":\"x\"}").items.empty());
  EXPECT_TRUE(MustParse("{\"dsn\":\"x\"}\n").items.empty());
}

TEST(ParseEnvelopeTest, ItemAtEndWithoutPayloadIsEmpty) {
  Envelope e = MustParse("{}\n{\"type\":\"event\"}");
  ASSERT_EQ(e.items.size(), 1u);
  EXPECT_TRUE(e.items[0].payload.empty());
  Envelope z = MustParse("{}\n{\"type\":\"event\",\"length\":0}\n\n{\"type\":\"b\"}\nx\n");
  ASSERT_EQ(z.items.size(), 2u);
  EXPECT_TRUE(z.items[0].payload.empty());
}

TEST(ParseEnvelopeTest, AcceptsCrlfLineEndings) {
  Envelope e = MustParse(
      "{}\r\n{\"type\":\"event\"}\r\n{\"a\":1}\r\n{\"type\":\"x\",\"length\":2}\r\nab\r\n");
  ASSERT_EQ(e.items.size(), 2u);
  EXPECT_EQ(e.items[0].header, "{\"type\":\"event\"}");
  EXPECT_EQ(e.items[0].payload, "{\"a\":1}");
  EXPECT_EQ(e.items[1].payload, "ab");
}

TEST(ParseEnvelopeTest, SkipsBlankLinesBetweenItems) {
  Envelope e = MustParse("{}\n\n{\"type\":\"a\",\"length\":1}\nx\n\n \n{\"type\":\"b\"}\ny\n\n\n");
  ASSERT_EQ(e.items.size(), 2u);
  EXPECT_EQ(e.items[0].payload, "x");
  EXPECT_EQ(e.items[1].payload, "y");
}

TEST(ParseEnvelopeTest, NullLengthMeansNoLength) {
  Envelope e = MustParse("{}\n{\"type\":\"a\",\"length\":null}\nline\n");
  EXPECT_EQ(e.items[0].payload, "line");
}

TEST(ParseEnvelopeTest, RejectsLengthPastTheEnd) {
  EXPECT_EQ(ErrorOf("{}\n{\"type\":\"a\",\"length\":10}\nshort"),
            "item length runs past the end of the envelope");
  EXPECT_EQ(ErrorOf("{}\n{\"length\":99999999999999999999999999}\nx"),
            "item length runs past the end of the envelope");
  EXPECT_EQ(ErrorOf("{}\n{\"length\":1}"), "item length runs past the end of the envelope");
}

TEST(ParseEnvelopeTest, RejectsBadLengths) {
  for (const char* len : {"-1", "1.5", "1e2", "\"3\"", "true", "[]"}) {
    EXPECT_EQ(ErrorOf("{}\n{\"length\":"s + len + "}\nabc\n"),
              "item length is not a non-negative integer")
        << len;
  }
}

TEST(ParseEnvelopeTest, RejectsMissingNewlineAfterPayload) {
  EXPECT_EQ(ErrorOf("{}\n{\"length\":2}\nabc\n"), "missing newline after item payload");
}

TEST(ParseEnvelopeTest, RejectsBadItemHeaders) {
  EXPECT_EQ(ErrorOf("{}\nnot json\n"), "envelope item header is not a JSON object");
  EXPECT_EQ(ErrorOf("{}\n[1]\n{}\n"), "envelope item header is not a JSON object");
  EXPECT_EQ(ErrorOf("oops\n{}\n"), "envelope header is not valid JSON");
}

TEST(RewriteEnvelopeHeaderTest, ReplacesDsnAndTracePublicKey) {
  std::string body = R"({"event_id":"e","dsn":"https://old@h/1","trace":{"trace_id":"t",)"
                     R"("public_key":"old","sample_rate":"1"},"sdk":{"name":"n"}})"
                     "\n{\"type\":\"event\"}\n{}\n";
  auto h = ParseEnvelopeHeader(body);
  ASSERT_TRUE(h.ok());
  std::string out = RewriteEnvelopeHeader(body, *h, {"https://new@h2/7", "new\"key"});
  EXPECT_EQ(out, R"({"event_id":"e","dsn":"https://new@h2/7","trace":{"trace_id":"t",)"
                 R"("public_key":"new\"key","sample_rate":"1"},"sdk":{"name":"n"}})"
                 "\n{\"type\":\"event\"}\n{}\n");
  auto again = ParseEnvelopeHeader(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Find("dsn")->string_value, "https://new@h2/7");
}

TEST(RewriteEnvelopeHeaderTest, LeavesPayloadBytesUntouched) {
  std::string tail = "\r\n{\"type\":\"attachment\",\"length\":5}\n\0\n\"dsn\"\n"s;
  std::string body = R"({"dsn":"https://old@h/1"})" + tail;
  auto h = ParseEnvelopeHeader(body);
  ASSERT_TRUE(h.ok());
  std::string out = RewriteEnvelopeHeader(body, *h, {"https://new@h/1", std::nullopt});
  EXPECT_EQ(out, R"({"dsn":"https://new@h/1"})" + tail);
}

TEST(RewriteEnvelopeHeaderTest, AddsDsnWhenAbsent) {
  for (auto [in, want] : std::vector<std::pair<std::string, std::string>>{
           {"{}", R"({"dsn":"d"})"},
           {"{ }", R"({ "dsn":"d"})"},
           {R"({"event_id":"e"} )", R"({"event_id":"e","dsn":"d"} )"}}) {
    std::string body = in + "\nrest";
    auto h = ParseEnvelopeHeader(body);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(RewriteEnvelopeHeader(body, *h, {"d", std::nullopt}), want + "\nrest");
  }
}

TEST(RewriteEnvelopeHeaderTest, LeavesTraceAloneWithoutPublicKeyOrObject) {
  for (std::string in : {R"({"dsn":"a","trace":{"trace_id":"t"}})", R"({"dsn":"a","trace":"x"})",
                         R"({"dsn":"a","trace":{"nested":{"public_key":"k"}}})"}) {
    auto h = ParseEnvelopeHeader(in);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(RewriteEnvelopeHeader(in, *h, {std::nullopt, "new"}), in);
  }
}

TEST(RewriteEnvelopeHeaderTest, RewritesEveryDuplicateDsn) {
  std::string in = R"({"dsn":"a","x":1,"dsn":"b"})";
  auto h = ParseEnvelopeHeader(in);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(RewriteEnvelopeHeader(in, *h, {"c", std::nullopt}), R"({"dsn":"c","x":1,"dsn":"c"})");
}

TEST(RewriteEnvelopeHeaderTest, NoRewriteCopiesEverything) {
  std::string in = "{\"dsn\":\"a\"}\n{}\nxyz";
  auto h = ParseEnvelopeHeader(in);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(RewriteEnvelopeHeader(in, *h, {}), in);
}

TEST(SerializeEnvelopeTest, WritesLengthOnEveryItem) {
  std::string out =
      SerializeEnvelope(R"({"event_id":"e"})",
                        {{R"({"type":"event"})", "{\"a\":1}"}, {"{}", "bin\0\n"s}, {" { } ", ""}});
  EXPECT_EQ(out,
            "{\"event_id\":\"e\"}\n"
            "{\"type\":\"event\",\"length\":7}\n{\"a\":1}\n"
            "{\"length\":5}\nbin\0\n\n"
            "{ \"length\":0}\n\n"s);
  Envelope e = MustParse(out);
  ASSERT_EQ(e.items.size(), 3u);
  EXPECT_EQ(e.items[1].payload, "bin\0\n"s);
  EXPECT_TRUE(e.items[2].payload.empty());
}

}  // namespace
}  // namespace ferry::protocol
