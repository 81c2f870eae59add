#include "notify/message.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <set>

#include "base/strings.h"
#include "store/base64.h"

namespace ferry::notify {
namespace {

constexpr size_t kTitleChars = 120;      // in a subject; the body has the whole title
constexpr size_t kHeaderLineChars = 78;  // RFC 5322's recommended limit, where we can fold

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string IssueLink(std::string_view public_url, int64_t issue_id) {
  while (public_url.ends_with('/')) public_url.remove_suffix(1);
  return std::string(public_url) + "/issues/" + std::to_string(issue_id) + "/";
}

std::string_view KindLabel(AlertKind kind) {
  return kind == AlertKind::kNewIssue ? "New issue" : "Regression";
}

std::string TitleOf(const Alert& alert) {
  return alert.title.empty() ? std::string("(no title)") : alert.title;
}

// "New issue | backend | error"
std::string Headline(const Alert& alert) {
  std::string out(KindLabel(alert.kind));
  out += " | " + alert.project;
  if (!alert.level.empty()) out += " | " + alert.level;
  return out;
}

std::string Details(const Alert& alert) {
  std::string out;
  if (!alert.environment.empty()) out += "Environment: " + alert.environment;
  if (!alert.release.empty()) out += (out.empty() ? "" : " | ") + ("Release: " + alert.release);
  return out;
}

std::string Summary(const std::vector<Alert>& alerts) {
  if (alerts.size() == 1) {
    return std::string(KindLabel(alerts[0].kind)) + " in " + alerts[0].project + ": " +
           Truncate(OneLine(TitleOf(alerts[0])), kTitleChars);
  }
  size_t new_issues = 0;
  std::set<std::string> projects;
  for (const Alert& a : alerts) {
    if (a.kind == AlertKind::kNewIssue) ++new_issues;
    projects.insert(a.project);
  }
  size_t regressions = alerts.size() - new_issues;
  std::string what;
  if (new_issues > 0) what = Plural(new_issues, "new issue", "new issues");
  if (regressions > 0) {
    what += (what.empty() ? "" : " and ") + Plural(regressions, "regression", "regressions");
  }
  std::string where =
      projects.size() == 1 ? *projects.begin() : Plural(projects.size(), "project", "projects");
  return what + " in " + where;
}

std::string TextBody(const std::vector<Alert>& alerts, std::string_view public_url,
                     const std::string& summary) {
  std::string out = summary + "\n\n";
  for (const Alert& a : alerts) {
    out += Headline(a) + "\n";
    out += TitleOf(a) + "\n";
    if (!a.culprit.empty()) out += "Culprit: " + a.culprit + "\n";
    if (std::string d = Details(a); !d.empty()) out += d + "\n";
    out += IssueLink(public_url, a.issue_id) + "\n\n";
  }
  out += "-- \nSent by ferry on a new issue or a regression.\n";
  return out;
}

std::string HtmlBody(const std::vector<Alert>& alerts, std::string_view public_url,
                     const std::string& summary) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                    HtmlEscape(summary) +
                    "</title></head>\n<body style=\"font-family:sans-serif;color:#222\">\n<h2 "
                    "style=\"font-size:18px\">" +
                    HtmlEscape(summary) + "</h2>\n";
  for (const Alert& a : alerts) {
    std::string link = HtmlEscape(IssueLink(public_url, a.issue_id));
    out += "<div style=\"margin:0 0 18px 0\">\n";
    out += "<div style=\"color:#666;font-size:13px\">" + HtmlEscape(Headline(a)) + "</div>\n";
    out += "<div style=\"font-size:16px\"><a href=\"" + link + "\"><strong>" +
           HtmlEscape(TitleOf(a)) + "</strong></a></div>\n";
    if (!a.culprit.empty()) {
      out +=
          "<div style=\"font-family:monospace;color:#444\">" + HtmlEscape(a.culprit) + "</div>\n";
    }
    if (std::string d = Details(a); !d.empty()) {
      out += "<div style=\"color:#666;font-size:13px\">" + HtmlEscape(d) + "</div>\n";
    }
    out += "<div style=\"font-size:13px\"><a href=\"" + link + "\">" + link + "</a></div>\n";
    out += "</div>\n";
  }
  out +=
      "<p style=\"color:#888;font-size:12px\">Sent by ferry on a new issue or a "
      "regression.</p>\n</body></html>\n";
  return out;
}

// "\n" (or "\r\n") line ends as CRLF, the canonical form of text in MIME.
std::string Crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  std::string encoded = store::Base64Encode(bytes);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    out += encoded.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

// ASCII words folded onto continuation lines near kHeaderLineChars.
std::string FoldAscii(std::string_view name, std::string_view value) {
  std::string out = std::string(name) + ": ";
  size_t line = out.size();
  size_t start = 0;
  bool first = true;
  while (start <= value.size()) {
    size_t space = value.find(' ', start);
    if (space == std::string_view::npos) space = value.size();
    std::string_view word = value.substr(start, space - start);
    if (!first && line + 1 + word.size() > kHeaderLineChars) {
      out += "\r\n ";
      line = 1;
    } else if (!first) {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
    first = false;
    start = space + 1;
  }
  return out + "\r\n";
}

std::string Header(std::string_view name, std::string_view value) {
  std::string one = OneLine(value);
  if (!IsAscii(one)) return std::string(name) + ": " + EncodeHeaderText(one) + "\r\n";
  return FoldAscii(name, one);
}

std::string FromHeader(std::string_view from) {
  std::string one = OneLine(from);
  size_t open = one.rfind('<');
  if (open == std::string::npos) return "From: " + one + "\r\n";
  std::string name(base::Trim(std::string_view(one).substr(0, open)));
  if (name.empty()) return "From: " + one.substr(open) + "\r\n";
  // A non-ASCII display name is encoded. An ASCII one is quoted when it holds characters
  // that mean something in an address list ("Ferry, prod" would read as two addresses).
  if (!IsAscii(name)) return "From: " + EncodeHeaderText(name) + " " + one.substr(open) + "\r\n";
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    return "From: " + name + " " + one.substr(open) + "\r\n";
  }
  if (name.find_first_of("()<>[]:;@\\,.\"") == std::string::npos) {
    return "From: " + name + " " + one.substr(open) + "\r\n";
  }
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return "From: " + quoted + " " + one.substr(open) + "\r\n";
}

std::string ToHeader(const std::vector<std::string>& to) {
  // The recipients are in the SMTP envelope either way; an empty list hides them from each
  // other (RFC 5322's empty group).
  if (to.empty()) return "To: undisclosed-recipients:;\r\n";
  std::string out = "To: ";
  size_t line = out.size();
  for (size_t i = 0; i < to.size(); ++i) {
    std::string address = OneLine(to[i]);
    if (i > 0) {
      out += ",";
      ++line;
      if (line + 1 + address.size() > kHeaderLineChars) {
        out += "\r\n";
        line = 0;
      }
      out += " ";
      ++line;
    }
    out += address;
    line += address.size();
  }
  return out + "\r\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  // 45 bytes encode to 60 base64 characters: with "=?UTF-8?B?" and "?=" a word is 72 long.
  constexpr size_t kChunkBytes = 45;
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + kChunkBytes);
    // Back off to the start of a UTF-8 sequence so no character is split between words.
    while (end < text.size() && end > pos + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + store::Base64Encode(text.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

std::string FormatDate(std::chrono::system_clock::time_point time) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string_view MailAddress(std::string_view from) {
  size_t open = from.rfind('<');
  if (open == std::string_view::npos || !from.ends_with('>')) return base::Trim(from);
  return from.substr(open + 1, from.size() - open - 2);
}

std::string Truncate(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return std::string(text.substr(0, i)) + "\xE2\x80\xA6";
    ++chars;
  }
  return std::string(text);
}

MailContent ComposeAlerts(const std::vector<Alert>& alerts, std::string_view public_url) {
  MailContent content;
  content.subject = Summary(alerts);
  content.text = TextBody(alerts, public_url, content.subject);
  content.html = HtmlBody(alerts, public_url, content.subject);
  return content;
}

std::string NewMessageId(std::string_view from) {
  std::random_device random;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", random(), random(), random(), random());
  std::string_view address = MailAddress(from);
  size_t at = address.rfind('@');
  std::string domain = at == std::string_view::npos ? std::string("ferry.localhost")
                                                    : std::string(address.substr(at + 1));
  return std::string(buf) + "@" + domain;
}

std::string BuildMessage(const MessageHeaders& headers, const MailContent& content) {
  // The boundary cannot occur in base64 text ("=" only pads at the end of a line, "_" never).
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(headers.message_id));
  const std::string boundary = std::string("=_ferry_") + hash;

  std::string m;
  m += FromHeader(headers.from);
  m += ToHeader(headers.to);
  m += Header("Subject", content.subject);
  m += "Date: " + FormatDate(headers.date) + "\r\n";
  m += "Message-ID: <" + OneLine(headers.message_id) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  // Alerts are machine-made: vacation responders must not answer them (RFC 3834).
  m += "Auto-Submitted: auto-generated\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n";
  m += Base64Lines(Crlf(content.text));
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/html; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n";
  m += Base64Lines(Crlf(content.html));
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace ferry::notify
