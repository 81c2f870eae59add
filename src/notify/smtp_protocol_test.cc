#include "notify/smtp_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/base64.h"

namespace ferry::notify {
namespace {

using ::testing::ElementsAre;

TEST(ReplyParserTest, SingleAndMultiLineReplies) {
  ReplyParser p;
  ASSERT_TRUE(p.Feed("220 smtp.example.com ESMTP ready").ok());
  ASSERT_TRUE(p.done());
  SmtpReply r = p.Take();
  EXPECT_EQ(r.code, 220);
  EXPECT_THAT(r.lines, ElementsAre("smtp.example.com ESMTP ready"));
  EXPECT_FALSE(p.done());

  ASSERT_TRUE(p.Feed("250-smtp.example.com greets you").ok());
  EXPECT_FALSE(p.done());
  ASSERT_TRUE(p.Feed("250-STARTTLS").ok());
  ASSERT_TRUE(p.Feed("250-AUTH LOGIN PLAIN").ok());
  ASSERT_TRUE(p.Feed("250 8BITMIME").ok());
  ASSERT_TRUE(p.done());
  r = p.Take();
  EXPECT_EQ(r.code, 250);
  EXPECT_THAT(r.lines, ElementsAre("smtp.example.com greets you", "STARTTLS", "AUTH LOGIN PLAIN",
                                   "8BITMIME"));
  EXPECT_EQ(r.Summary(),
            "250 smtp.example.com greets you / STARTTLS / AUTH LOGIN PLAIN / 8BITMIME");

  ASSERT_TRUE(p.Feed("354").ok()) << "a bare code is a complete reply";
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.Take().code, 354);
}

TEST(ReplyParserTest, RefusesMalformedLines) {
  for (const char* bad : {"", "25", "2x0 ok", "250_ok", "hello"}) {
    ReplyParser p;
    EXPECT_EQ(p.Feed(bad).code(), base::Code::kUnavailable) << bad;
  }
  ReplyParser p;
  ASSERT_TRUE(p.Feed("250-first").ok());
  EXPECT_EQ(p.Feed("251 second").code(), base::Code::kUnavailable) << "the code must not change";
  ReplyParser endless;
  base::Status st;
  for (int i = 0; i < 1000 && st.ok(); ++i) st = endless.Feed("250-more");
  EXPECT_EQ(st.code(), base::Code::kUnavailable) << "a reply has a bounded number of lines";
}

TEST(SmtpProtocolTest, Capabilities) {
  SmtpReply ehlo{250, {"mx greets you", "SIZE 1000", "STARTTLS", "AUTH LOGIN"}};
  auto caps = ParseCapabilities(ehlo);
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.auth_login);
  EXPECT_FALSE(caps.auth_plain);
  caps = ParseCapabilities({250, {"mx", "auth=plain login", "8BITMIME"}});
  EXPECT_FALSE(caps.starttls);
  EXPECT_TRUE(caps.auth_plain);
  EXPECT_TRUE(caps.auth_login);
  caps = ParseCapabilities({250, {"STARTTLS AUTH PLAIN"}});
  EXPECT_FALSE(caps.starttls) << "the first line is the greeting, not a keyword";
  EXPECT_FALSE(caps.auth_plain);
}

TEST(SmtpProtocolTest, DotStuffing) {
  EXPECT_EQ(DotStuff("a\r\n.b\r\n..c\r\n"), "a\r\n..b\r\n...c\r\n.\r\n");
  EXPECT_EQ(DotStuff(".first\nsecond"), "..first\r\nsecond\r\n.\r\n") << "bare LF, no final CRLF";
  EXPECT_EQ(DotStuff("x\r\n.\r\ny\r\n"), "x\r\n..\r\ny\r\n.\r\n")
      << "a lone dot must not end the data early";
  EXPECT_EQ(DotStuff(""), ".\r\n");
  EXPECT_EQ(DotStuff("a.b\r\n"), "a.b\r\n.\r\n") << "dots inside a line stay";
}

TEST(SmtpProtocolTest, AuthPlainEncodesNulSeparatedCredentials) {
  std::string response = AuthPlainResponse("alice", "s3cret");
  auto decoded = store::Base64Decode(response);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, std::string("\0alice\0s3cret", 13));
}

TEST(SmtpProtocolTest, EnvelopeAddressesCannotInjectCommands) {
  EXPECT_TRUE(CheckEnvelopeAddress("ops@example.com").ok());
  EXPECT_FALSE(CheckEnvelopeAddress("").ok());
  EXPECT_FALSE(CheckEnvelopeAddress("a@b>\r\nRCPT TO:<c@d").ok());
  EXPECT_FALSE(CheckEnvelopeAddress("a b@c").ok());
}

}  // namespace
}  // namespace ferry::notify
