// The text side of SMTP (RFC 5321), apart from sockets so it is tested on its own: reply
// parsing (multi-line replies), EHLO capabilities, dot-stuffing of the message data and the
// AUTH PLAIN / LOGIN encodings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry::notify {

struct SmtpReply {
  int code = 0;                    // 220, 250, 354, 421, 535, ...
  std::vector<std::string> lines;  // the text after "NNN-" / "NNN ", one per line

  bool Positive() const { return code >= 200 && code < 400; }
  // "NNN first line / second line", bounded, for logs and errors.
  std::string Summary() const;
};

// Collects the lines of one reply: "250-first", "250-second", "250 last". Every line must
// carry the same three-digit code; a line that does not is a protocol error.
class ReplyParser {
 public:
  // Feeds one line without its CRLF. Errors: kUnavailable "malformed SMTP reply ...".
  base::Status Feed(std::string_view line);
  bool done() const { return done_; }
  // The reply once done(); the parser is then ready for the next one.
  SmtpReply Take();

 private:
  SmtpReply reply_;
  bool done_ = false;
};

struct SmtpCapabilities {
  bool starttls = false;
  bool auth_plain = false;
  bool auth_login = false;
};

// The extensions of an EHLO reply (its first line is the greeting, the others keywords).
// "AUTH=PLAIN LOGIN" (an old spelling some servers still send) counts too.
SmtpCapabilities ParseCapabilities(const SmtpReply& ehlo);

// The DATA payload for `message`: bare "\n" line ends become CRLF, a line starting with "." gets
// a second one (RFC 5321 4.5.2), and the terminating ".\r\n" is appended.
std::string DotStuff(std::string_view message);

// AUTH PLAIN's initial response: base64 of "\0user\0password" (RFC 4616).
std::string AuthPlainResponse(std::string_view username, std::string_view password);

// Checks that `address` can go into "MAIL FROM:<...>" / "RCPT TO:<...>": not empty and without
// spaces, angle brackets or control characters (a CRLF there would inject a command).
base::Status CheckEnvelopeAddress(std::string_view address);

}  // namespace ferry::notify
