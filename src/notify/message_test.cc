#include "notify/message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/base64.h"

namespace ferry::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

Alert MakeAlert(int64_t id, AlertKind kind = AlertKind::kNewIssue) {
  Alert a;
  a.kind = kind;
  a.issue_id = id;
  a.project_id = 2;
  a.project = "backend";
  a.title = "TypeError: boom " + std::to_string(id);
  a.culprit = "doWork(src/app)";
  a.level = "error";
  return a;
}

struct Part {
  std::string headers;
  std::string body;  // decoded
};

// Splits a message into its headers and decoded parts (what a mail client would show).
struct Parsed {
  std::string headers;
  std::vector<Part> parts;
};

Parsed Parse(const std::string& message) {
  Parsed out;
  size_t end = message.find("\r\n\r\n");
  out.headers = message.substr(0, end + 2);
  size_t b = out.headers.find("boundary=\"");
  std::string boundary = "--" + out.headers.substr(b + 10, out.headers.find('"', b + 10) - b - 10);
  size_t pos = message.find(boundary + "\r\n", end);
  while (pos != std::string::npos) {
    size_t start = pos + boundary.size() + 2;
    size_t next = message.find("\r\n" + boundary, start);
    if (next == std::string::npos) break;
    std::string part = message.substr(start, next - start + 2);
    size_t sep = part.find("\r\n\r\n");
    Part p;
    p.headers = part.substr(0, sep + 2);
    std::string b64;
    for (char c : part.substr(sep + 4)) {
      if (c != '\r' && c != '\n') b64 += c;
    }
    p.body = store::Base64Decode(b64).value_or("<bad base64>");
    out.parts.push_back(p);
    pos = message.find(boundary + "\r\n", next + 2);
  }
  return out;
}

MessageHeaders Headers() {
  MessageHeaders h;
  h.from = "Ferry <ferry@example.com>";
  h.to = {"ops@example.com", "dev@example.com"};
  h.message_id = "0123abcd@example.com";
  h.date = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  return h;
}

TEST(MessageTest, OneNewIssue) {
  auto content = ComposeAlerts({MakeAlert(42)}, "https://errors.example.com");
  EXPECT_EQ(content.subject, "New issue in backend: TypeError: boom 42");
  EXPECT_THAT(content.text, HasSubstr("TypeError: boom 42\n"));
  EXPECT_THAT(content.text, HasSubstr("Culprit: doWork(src/app)\n"));
  EXPECT_THAT(content.text, HasSubstr("New issue | backend | error\n"));
  EXPECT_THAT(content.text, HasSubstr("https://errors.example.com/issues/42/\n"));
  EXPECT_THAT(content.html, HasSubstr("<a href=\"https://errors.example.com/issues/42/\">"));
}

TEST(MessageTest, ARegressionSaysSo) {
  auto content = ComposeAlerts({MakeAlert(7, AlertKind::kRegression)}, "http://h:9000/");
  EXPECT_EQ(content.subject, "Regression in backend: TypeError: boom 7");
  EXPECT_THAT(content.text, HasSubstr("Regression | backend | error"));
  EXPECT_THAT(content.text, HasSubstr("http://h:9000/issues/7/")) << "no double slash";
}

TEST(MessageTest, ADigestCountsAndListsEveryAlert) {
  std::vector<Alert> alerts;
  for (int i = 1; i <= 12; ++i) alerts.push_back(MakeAlert(i));
  auto content = ComposeAlerts(alerts, "http://h");
  EXPECT_EQ(content.subject, "12 new issues in backend");
  for (int i = 1; i <= 12; ++i) {
    EXPECT_THAT(content.text, HasSubstr("http://h/issues/" + std::to_string(i) + "/\n"));
    EXPECT_THAT(content.html, HasSubstr("TypeError: boom " + std::to_string(i) + "<"));
  }
  alerts.push_back(MakeAlert(13, AlertKind::kRegression));
  alerts.back().project = "web";
  EXPECT_EQ(ComposeAlerts(alerts, "http://h").subject,
            "12 new issues and 1 regression in 2 projects");
  std::vector<Alert> two = {MakeAlert(1, AlertKind::kRegression),
                            MakeAlert(2, AlertKind::kRegression)};
  EXPECT_EQ(ComposeAlerts(two, "http://h").subject, "2 regressions in backend");
}

TEST(MessageTest, EventTextIsEscapedInHtmlAndKeptOffHeaderLines) {
  Alert a = MakeAlert(5);
  a.title = "<script>alert('x')</script> & \"more\"\r\nBcc: victim@example.com";
  a.culprit = "<b>culprit</b>";
  a.environment = "prod<1>";
  auto content = ComposeAlerts({a}, "http://h");
  EXPECT_THAT(content.html, Not(HasSubstr("<script>")));
  EXPECT_THAT(content.html, Not(HasSubstr("<b>culprit")));
  EXPECT_THAT(content.html,
              HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"));
  EXPECT_THAT(content.html, HasSubstr("&lt;b&gt;culprit&lt;/b&gt;"));
  EXPECT_THAT(content.html, HasSubstr("prod&lt;1&gt;"));

  std::string message = BuildMessage(Headers(), content);
  Parsed parsed = Parse(message);
  EXPECT_THAT(parsed.headers, Not(HasSubstr("\r\nBcc:"))) << parsed.headers;
  EXPECT_THAT(parsed.headers, HasSubstr("\"more\"  Bcc:")) << "kept inside the subject";
}

TEST(MessageTest, NoVisibleRecipientsGivesAnEmptyGroup) {
  auto content = ComposeAlerts({MakeAlert(1)}, "http://h");
  MessageHeaders headers = Headers();
  headers.to.clear();
  EXPECT_THAT(Parse(BuildMessage(headers, content)).headers,
              HasSubstr("\r\nTo: undisclosed-recipients:;\r\n"));
}

TEST(MessageTest, DisplayNamesWithSpecialCharactersAreQuoted) {
  auto content = ComposeAlerts({MakeAlert(1)}, "http://h");
  MessageHeaders headers = Headers();
  headers.from = "Ferry, prod <ferry@example.com>";
  EXPECT_THAT(Parse(BuildMessage(headers, content)).headers,
              StartsWith("From: \"Ferry, prod\" <ferry@example.com>\r\n"));
  headers.from = "Ops \"on call\" team. <ferry@example.com>";
  EXPECT_THAT(Parse(BuildMessage(headers, content)).headers,
              StartsWith("From: \"Ops \\\"on call\\\" team.\" <ferry@example.com>\r\n"));
  headers.from = "ferry@example.com";
  EXPECT_THAT(Parse(BuildMessage(headers, content)).headers,
              StartsWith("From: ferry@example.com\r\n"));
}

TEST(MessageTest, MultipartAlternativeWithTextThenHtml) {
  auto content = ComposeAlerts({MakeAlert(42)}, "http://h");
  std::string message = BuildMessage(Headers(), content);
  Parsed parsed = Parse(message);
  EXPECT_THAT(parsed.headers, StartsWith("From: Ferry <ferry@example.com>\r\n"));
  EXPECT_THAT(parsed.headers, HasSubstr("\r\nTo: ops@example.com, dev@example.com\r\n"));
  EXPECT_THAT(parsed.headers,
              HasSubstr("\r\nSubject: New issue in backend: TypeError: boom 42\r\n"));
  EXPECT_THAT(parsed.headers, HasSubstr("\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
  EXPECT_THAT(parsed.headers, HasSubstr("\r\nMessage-ID: <0123abcd@example.com>\r\n"));
  EXPECT_THAT(parsed.headers, HasSubstr("\r\nMIME-Version: 1.0\r\n"));
  EXPECT_THAT(parsed.headers, HasSubstr("\r\nContent-Type: multipart/alternative; boundary=\""));
  ASSERT_EQ(parsed.parts.size(), 2u) << message;
  EXPECT_THAT(parsed.parts[0].headers, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(parsed.parts[0].headers, HasSubstr("Content-Transfer-Encoding: base64\r\n"));
  EXPECT_THAT(parsed.parts[1].headers, HasSubstr("Content-Type: text/html; charset=utf-8\r\n"));
  EXPECT_THAT(parsed.parts[0].body, HasSubstr("TypeError: boom 42\r\n")) << "CRLF line ends";
  EXPECT_THAT(parsed.parts[1].body, HasSubstr("<html>"));
  EXPECT_EQ(message.substr(message.size() - 4), "--\r\n") << "the closing boundary ends it";
  for (size_t pos = 0, next; pos < message.size(); pos = next + 2) {
    next = message.find("\r\n", pos);
    ASSERT_NE(next, std::string::npos) << "every line ends in CRLF";
    EXPECT_LE(next - pos, 78u) << message.substr(pos, next - pos);
    EXPECT_EQ(message.substr(pos, next - pos).find('\n'), std::string::npos) << "no bare LF";
  }
}

TEST(MessageTest, NonAsciiSubjectIsEncodedInWordsThatKeepCharactersWhole) {
  Alert a = MakeAlert(1);
  a.title =
      "Ошибка: не удалось загрузить файл «отчёт.pdf» — повторите попытку "
      "🙂";
  auto content = ComposeAlerts({a}, "http://h");
  std::string message = BuildMessage(Headers(), content);
  size_t start = message.find("Subject: ");
  size_t end = message.find("\r\nDate:");
  std::string subject = message.substr(start + 9, end - start - 9);
  EXPECT_THAT(subject, StartsWith("=?UTF-8?B?"));
  // Decode the words back: the text must come out unchanged, each word whole UTF-8.
  std::string decoded;
  size_t pos = 0;
  int words = 0;
  while ((pos = subject.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t close = subject.find("?=", pos + 10);
    ASSERT_NE(close, std::string::npos);
    EXPECT_LE(close + 2 - pos, 75u) << "an encoded word is at most 75 characters";
    auto bytes = store::Base64Decode(subject.substr(pos + 10, close - pos - 10));
    ASSERT_TRUE(bytes.has_value());
    EXPECT_NE(static_cast<unsigned char>((*bytes)[0]) & 0xC0, 0x80) << "starts a character";
    decoded += *bytes;
    pos = close + 2;
    ++words;
  }
  EXPECT_GT(words, 1);
  EXPECT_EQ(decoded, content.subject);
  EXPECT_EQ(EncodeHeaderText("plain ascii"), "plain ascii");
}

TEST(MessageTest, HelpersBehave) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(OneLine("a\r\nb\tc"), "a  b c");
  EXPECT_EQ(MailAddress("Ferry <ferry@example.com>"), "ferry@example.com");
  EXPECT_EQ(MailAddress("ferry@example.com"), "ferry@example.com");
  EXPECT_EQ(Truncate("héllo wörld", 5), "héllo\xE2\x80\xA6");
  EXPECT_EQ(Truncate("short", 5), "short");
  EXPECT_THAT(NewMessageId("Ferry <f@mail.example.com>"), ::testing::EndsWith("@mail.example.com"));
  EXPECT_NE(NewMessageId("f@x"), NewMessageId("f@x"));
  EXPECT_EQ(FormatDate(std::chrono::system_clock::time_point()), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(MessageTest, LongTitlesAreCutInTheSubjectOnly) {
  Alert a = MakeAlert(1);
  a.title = std::string(500, 'x');
  auto content = ComposeAlerts({a}, "http://h");
  EXPECT_LT(content.subject.size(), 200u);
  EXPECT_THAT(content.text, HasSubstr(std::string(500, 'x')));
}

}  // namespace
}  // namespace ferry::notify
