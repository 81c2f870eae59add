#include "notify/smtp_protocol.h"

#include "base/strings.h"
#include "notify/message.h"
#include "store/base64.h"

namespace ferry::notify {
namespace {

constexpr size_t kMaxReplyLines = 100;
constexpr size_t kSummaryChars = 300;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string SmtpReply::Summary() const {
  std::string out = std::to_string(code);
  for (size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? " " : " / ") + lines[i];
  return Truncate(OneLine(out), kSummaryChars);
}

base::Status ReplyParser::Feed(std::string_view line) {
  if (done_) return base::Unavailable("malformed SMTP reply: a line after the last one");
  // "NNN" alone is a valid last line; otherwise "NNN-" continues and "NNN " ends the reply.
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2]) ||
      (line.size() > 3 && line[3] != '-' && line[3] != ' ')) {
    return base::Unavailable("malformed SMTP reply line: " +
                             base::JsonQuote(Truncate(OneLine(line), 80)));
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code) {
    return base::Unavailable("malformed SMTP reply: code " + std::to_string(code) +
                             " inside a reply with code " + std::to_string(reply_.code));
  }
  if (reply_.lines.size() >= kMaxReplyLines) {
    return base::Unavailable("malformed SMTP reply: more than " + std::to_string(kMaxReplyLines) +
                             " lines");
  }
  reply_.code = code;
  reply_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  done_ = line.size() == 3 || line[3] == ' ';
  return base::Status::Ok();
}

SmtpReply ReplyParser::Take() {
  SmtpReply out = std::move(reply_);
  reply_ = {};
  done_ = false;
  return out;
}

SmtpCapabilities ParseCapabilities(const SmtpReply& ehlo) {
  SmtpCapabilities caps;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string line = base::AsciiLower(base::Trim(ehlo.lines[i]));
    if (line == "starttls") caps.starttls = true;
    if (line.starts_with("auth ") || line.starts_with("auth=")) {
      std::string_view rest = std::string_view(line).substr(5);
      size_t pos = 0;
      while (pos <= rest.size()) {
        size_t end = rest.find(' ', pos);
        if (end == std::string_view::npos) end = rest.size();
        std::string_view mechanism = rest.substr(pos, end - pos);
        if (mechanism == "plain") caps.auth_plain = true;
        if (mechanism == "login") caps.auth_login = true;
        pos = end + 1;
      }
    }
  }
  return caps;
}

std::string DotStuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (line_start && c == '.') out += '.';
    if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') {
      out += "\r\n";
      ++i;
      line_start = true;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

std::string AuthPlainResponse(std::string_view username, std::string_view password) {
  std::string raw;
  raw += '\0';
  raw += username;
  raw += '\0';
  raw += password;
  return store::Base64Encode(raw);
}

base::Status CheckEnvelopeAddress(std::string_view address) {
  if (address.empty()) return base::InvalidArgument("empty mail address");
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>') {
      return base::InvalidArgument("mail address with spaces, control characters or <>: " +
                                   base::JsonQuote(OneLine(address)));
    }
  }
  return base::Status::Ok();
}

}  // namespace ferry::notify
