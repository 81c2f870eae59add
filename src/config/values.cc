#include "config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <vector>

#include "base/strings.h"
#include "config/config.h"

namespace ferry::config::internal {
namespace {

using base::InvalidArgument;

// `text` quoted for a message, cut short so a pasted blob does not flood the terminal.
std::string Got(std::string_view text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return ", got " + base::JsonQuote(text);
  return ", got " + base::JsonQuote(std::string(text.substr(0, kMax)) + "...");
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool IsIpv6(std::string_view text) {
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Checks "host", "host:port", "[v6]" or "[v6]:port"; returns "" when fine, else the problem.
std::string AuthorityProblem(std::string_view authority, bool port_required, uint64_t min_port) {
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in the host";
    host = authority.substr(1, close - 1);
    if (!IsIpv6(host)) return "not an IPv6 address inside [...]";
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return "expected ':' and a port after ']'";
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos) {
        return "an IPv6 address needs brackets, e.g. [::1]:9000";
      }
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return "no host";
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) return "bad character in the host";
  }
  if (port_required && !has_port) return "no port";
  if (has_port) {
    auto p = ParseUint(port, min_port, 65535);
    if (!p.ok()) return "the port must be a number from " + std::to_string(min_port) + " to 65535";
  }
  return "";
}

struct SplitUrl {
  std::string_view scheme, authority, rest;  // rest: path, query and fragment
};

bool Split(std::string_view text, SplitUrl* out) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  out->scheme = text.substr(0, sep);
  std::string_view after = text.substr(sep + 3);
  size_t end = after.find_first_of("/?#");
  out->authority = after.substr(0, end);
  out->rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  return true;
}

bool HasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20;
  });
}

}  // namespace

base::Result<HostPort> ParseListen(std::string_view text) {
  const std::string expected = "expected host:port, e.g. 127.0.0.1:9000 or [::1]:9000";
  if (text.find("://") != std::string_view::npos) {
    return InvalidArgument(expected + " (not a URL)" + Got(text));
  }
  if (text.starts_with(':') && text.find(':', 1) == std::string_view::npos) {
    return InvalidArgument(expected + " (0.0.0.0:port listens on every interface)" + Got(text));
  }
  std::string problem = AuthorityProblem(text, /*port_required=*/true, /*min_port=*/0);
  if (!problem.empty()) return InvalidArgument(expected + ": " + problem + Got(text));
  HostPort out;
  size_t colon = text.rfind(':');
  std::string_view host = text.substr(0, colon);
  if (host.starts_with('[')) host = host.substr(1, host.size() - 2);
  out.host = base::AsciiLower(host);
  out.port = static_cast<uint16_t>(ParseUint(text.substr(colon + 1), 0, 65535).value());
  return out;
}

base::Result<std::string> NormalizeHttpUrl(std::string_view text, bool allow_path) {
  const std::string expected =
      allow_path ? "expected an http(s) URL" : "expected an http(s) URL without a path";
  SplitUrl url;
  if (!Split(text, &url)) return InvalidArgument(expected + Got(text));
  std::string scheme = base::AsciiLower(url.scheme);
  if (scheme != "http" && scheme != "https") return InvalidArgument(expected + Got(text));
  if (url.authority.find('@') != std::string_view::npos) {
    return InvalidArgument(expected + " (no user info)" + Got(text));
  }
  std::string problem = AuthorityProblem(url.authority, /*port_required=*/false, 1);
  if (!problem.empty()) return InvalidArgument(expected + ": " + problem + Got(text));
  std::string_view path = url.rest;
  if (path.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgument(expected + " (no query or fragment)" + Got(text));
  }
  if (HasSpace(path)) return InvalidArgument(expected + " (no spaces)" + Got(text));
  if (path.ends_with('/')) path.remove_suffix(1);
  if (!allow_path && !path.empty()) return InvalidArgument(expected + Got(text));
  return scheme + "://" + base::AsciiLower(url.authority) + std::string(path);
}

base::Result<std::string> NormalizeHost(std::string_view text) {
  const std::string expected = "expected a host or host:port";
  SplitUrl url;
  if (Split(text, &url)) {
    return InvalidArgument(expected + ", not a URL (write \"" + std::string(url.authority) + "\")" +
                           Got(text));
  }
  if (text.find('/') != std::string_view::npos) {
    return InvalidArgument(expected + " without a path" + Got(text));
  }
  std::string problem = AuthorityProblem(text, /*port_required=*/false, 1);
  if (!problem.empty()) return InvalidArgument(expected + ": " + problem + Got(text));
  return base::AsciiLower(text);
}

base::Result<std::string> NormalizeProject(std::string_view text) {
  const std::string expected = "expected host[:port]/project_id, e.g. sentry.example.com/4";
  SplitUrl url;
  if (Split(text, &url)) return InvalidArgument(expected + " (not a URL)" + Got(text));
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || !IsDigits(text.substr(slash + 1))) {
    return InvalidArgument(expected + Got(text));
  }
  std::string problem = AuthorityProblem(text.substr(0, slash), /*port_required=*/false, 1);
  if (!problem.empty()) return InvalidArgument(expected + ": " + problem + Got(text));
  return base::AsciiLower(text);
}

base::Result<std::string> CheckDsn(std::string_view text) {
  auto fail = [&](std::string_view problem) {
    return InvalidArgument("expected a DSN scheme://key@host[:port][/path]/project_id: " +
                           std::string(problem) + Got(MaskDsn(text)));
  };
  SplitUrl url;
  if (!Split(text, &url)) return fail("not a URL");
  std::string scheme = base::AsciiLower(url.scheme);
  if (scheme != "http" && scheme != "https") return fail("the scheme must be http or https");
  size_t at = url.authority.rfind('@');
  if (at == std::string_view::npos) return fail("no public key");
  std::string_view user = url.authority.substr(0, at);
  std::string_view key = user.substr(0, user.find(':'));
  if (key.empty() || HasSpace(user)) return fail("no public key");
  std::string problem = AuthorityProblem(url.authority.substr(at + 1), false, 1);
  if (!problem.empty()) return fail(problem);
  std::string_view path = url.rest;
  if (path.find_first_of("?#") != std::string_view::npos || HasSpace(path)) {
    return fail("no query, fragment or spaces allowed");
  }
  if (!IsDigits(path.substr(path.rfind('/') + 1))) {
    return fail("no project id (digits) at the end");
  }
  return std::string(text);
}

base::Result<std::string> CheckTunnelPath(std::string_view text) {
  const std::string expected = "expected a path starting with '/'";
  if (!text.starts_with('/')) return InvalidArgument(expected + Got(text));
  size_t star = text.find('*');
  if (star != std::string_view::npos && star != text.size() - 1) {
    return InvalidArgument("'*' is only allowed as the last character (a prefix match)" +
                           Got(text));
  }
  if (text.find_first_of("?#") != std::string_view::npos || HasSpace(text)) {
    return InvalidArgument(expected + " and no query, fragment or spaces" + Got(text));
  }
  return std::string(text);
}

base::Result<std::string> CheckMailAddress(std::string_view text, bool allow_name) {
  const std::string expected = allow_name ? "expected an email address (user@example.com or "
                                            "Name <user@example.com>)"
                                          : "expected an email address (user@example.com)";
  std::string_view address = text;
  if (allow_name && text.ends_with('>')) {
    size_t open = text.rfind('<');
    if (open == std::string_view::npos) return InvalidArgument(expected + Got(text));
    address = text.substr(open + 1, text.size() - open - 2);
    // The name goes into a header as it is; a line break there would start a new header.
    for (char c : text.substr(0, open)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '<' || c == '>') {
        return InvalidArgument(expected + Got(text));
      }
    }
  }
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() || address.size() > 254) {
    return InvalidArgument(expected + Got(text));
  }
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    // These would break the SMTP command or the header the address is written into.
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' ||
        c == '(' || c == ')' || c == '\\' || c == '[' || c == ']') {
      return InvalidArgument(expected + Got(text));
    }
  }
  std::string_view domain = address.substr(at + 1);
  if (address.find('@') != at || domain.starts_with('.') || domain.ends_with('.') ||
      domain.find("..") != std::string_view::npos) {
    return InvalidArgument(expected + Got(text));
  }
  return std::string(text);
}

base::Result<std::string> NormalizeOrigin(std::string_view text) {
  if (text == "*") return std::string(text);
  const std::string expected = "expected \"*\" or an origin like https://app.example.com";
  SplitUrl url;
  if (!Split(text, &url) || url.authority.empty() || HasSpace(text)) {
    return InvalidArgument(expected + Got(text));
  }
  if (!url.rest.empty() && url.rest != "/") {
    return InvalidArgument(expected + " (an origin has no path)" + Got(text));
  }
  std::string out = base::AsciiLower(text);
  if (out.ends_with('/')) out.pop_back();
  return out;
}

std::string MaskDsn(std::string_view text) {
  SplitUrl url;
  if (!Split(text, &url)) return std::string(text);
  size_t at = url.authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  std::string_view user = url.authority.substr(0, at);
  size_t colon = user.find(':');
  std::string masked = base::MaskSecret(user.substr(0, colon));
  if (colon != std::string_view::npos) masked += ":" + base::MaskSecret(user.substr(colon + 1));
  return std::string(url.scheme) + "://" + masked + std::string(url.authority.substr(at)) +
         std::string(url.rest);
}

std::string MaskUrlPassword(std::string_view text) {
  std::string out(text);
  SplitUrl url;
  if (Split(text, &url)) {
    size_t at = url.authority.rfind('@');
    std::string_view user = url.authority.substr(0, at == std::string_view::npos ? 0 : at);
    size_t colon = user.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos) {
      out = std::string(url.scheme) + "://" + std::string(user.substr(0, colon)) + ":***" +
            std::string(url.authority.substr(at)) + std::string(url.rest);
    }
  }
  // libpq also takes the password as a parameter: "host=db password=secret" or "...?password=".
  size_t pos = 0;
  while ((pos = out.find("password=", pos)) != std::string::npos) {
    size_t start = pos + 9;
    size_t end = out.find_first_of(" &", start);
    out.replace(start, end == std::string::npos ? std::string::npos : end - start, "***");
    pos = start + 3;
  }
  return out;
}

base::Result<bool> ParseBool(std::string_view text) {
  if (base::EqualsIgnoreCase(text, "true")) return true;
  if (base::EqualsIgnoreCase(text, "false")) return false;
  return InvalidArgument("expected true or false" + Got(text));
}

base::Result<uint64_t> ParseUint(std::string_view text, uint64_t min, uint64_t max) {
  std::string what = min == 0   ? "a non-negative integer"
                     : min == 1 ? "a positive integer"
                                : "an integer of at least " + std::to_string(min);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!IsDigits(text) || end != text.data() + text.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return InvalidArgument("expected " + what + Got(text));
  }
  if (ec == std::errc::result_out_of_range || value > max) {
    return InvalidArgument("expected " + what + " up to " + std::to_string(max) + Got(text));
  }
  if (value < min) return InvalidArgument("expected " + what + Got(text));
  return value;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace ferry::config::internal

namespace ferry::config {

base::Status CheckMailAddress(std::string_view address) {
  auto checked = internal::CheckMailAddress(address, false);
  return checked.ok() ? base::Status::Ok() : checked.status();
}

}  // namespace ferry::config
