// Mail messages for alerts: what a mail says (ComposeAlerts) and how it is encoded
// (BuildMessage). Pure functions, no I/O, so the MIME structure is tested byte for byte.
//
// A message is multipart/alternative with a text/plain and a text/html part, both UTF-8 and
// base64-encoded (so no line is too long and no byte is lost whatever the event text holds).
// Everything that comes from an event is untrusted: it is HTML-escaped in the HTML part, and
// control characters are replaced before it goes into a header.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "notify/alert.h"

namespace ferry::notify {

struct MailContent {
  std::string subject;  // UTF-8, one line
  std::string text;     // text/plain body, lines end in "\n"
  std::string html;     // text/html body
};

// The content of one mail about `alerts` (REQUIRES: not empty). One alert gives a mail about
// that issue ("New issue in backend: TypeError: ..."); several give a digest whose subject
// counts them ("12 new issues in backend", "3 new issues and 1 regression in 2 projects") and
// whose body lists each with its link, `public_url` + "/issues/<id>/".
MailContent ComposeAlerts(const std::vector<Alert>& alerts, std::string_view public_url);

struct MessageHeaders {
  std::string from;             // "user@host" or "Name <user@host>"
  std::vector<std::string> to;  // bare addresses
  std::string message_id;       // without angle brackets, e.g. "1a2b...@example.com"
  std::chrono::system_clock::time_point date;
};

// The complete RFC 5322 message, lines ending in CRLF, ready for SMTP DATA (before
// dot-stuffing). The boundary is derived from the message id, so the result is deterministic.
std::string BuildMessage(const MessageHeaders& headers, const MailContent& content);

// A new Message-ID for mail sent as `from`: random hex, "@", the domain of the address.
std::string NewMessageId(std::string_view from);

// Building blocks, exposed for tests.

// "&", "<", ">", '"' and "'" as entities.
std::string HtmlEscape(std::string_view text);
// Control characters (line breaks included) become spaces, so text can go into one header line.
std::string OneLine(std::string_view text);
// ASCII text unchanged; otherwise RFC 2047 encoded words ("=?UTF-8?B?...?="), each at most 75
// characters and never splitting a UTF-8 sequence, folded onto continuation lines.
std::string EncodeHeaderText(std::string_view text);
// RFC 5322 date in UTC: "Tue, 28 Nov 2023 03:07:00 +0000".
std::string FormatDate(std::chrono::system_clock::time_point time);
// The address part of "Name <user@host>" or "user@host".
std::string_view MailAddress(std::string_view from);
// At most `max_chars` UTF-8 characters; "…" marks a cut.
std::string Truncate(std::string_view text, size_t max_chars);

}  // namespace ferry::notify
