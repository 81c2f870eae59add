#include "protocol/auth.h"

#include <utility>

#include "base/strings.h"

namespace ferry::protocol {
namespace {

using base::InvalidArgument;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte. A malformed escape
// is kept literally rather than rejected; the caller validates the key itself.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Assigns `value` to the SentryAuth field named `key`; unknown keys (sentry_timestamp, ...)
// are ignored.
void Assign(SentryAuth& auth, std::string_view key, std::string value) {
  if (key == "sentry_key") {
    auth.sentry_key = std::move(value);
  } else if (key == "sentry_secret") {
    auth.sentry_secret = std::move(value);
  } else if (key == "sentry_version") {
    auth.sentry_version = std::move(value);
  } else if (key == "sentry_client") {
    auth.sentry_client = std::move(value);
  }
}

}  // namespace

base::Result<SentryAuth> ParseAuthHeader(std::string_view value) {
  std::string_view rest = base::Trim(value);
  // The first word is a scheme unless it is already a key=value pair.
  size_t word_end = rest.find_first_of(" \t");
  std::string_view first = rest.substr(0, word_end);
  if (first.find('=') == std::string_view::npos) {
    if (!base::EqualsIgnoreCase(first, "Sentry")) {
      return InvalidArgument("auth scheme is not Sentry");
    }
    rest = word_end == std::string_view::npos ? "" : rest.substr(word_end);
  }

  SentryAuth auth;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view pair = base::Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    if (pair.empty()) continue;  // "a=1,,b=2" and a trailing comma are harmless
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("malformed auth header pair");
    std::string_view key = base::Trim(pair.substr(0, eq));
    std::string_view val = base::Trim(pair.substr(eq + 1));
    if (key.empty()) return InvalidArgument("malformed auth header pair");
    if (val.size() >= 2 && val.front() == '"' && val.back() == '"') {
      val = val.substr(1, val.size() - 2);
    }
    Assign(auth, base::AsciiLower(key), std::string(val));
  }
  if (auth.sentry_key.empty()) return InvalidArgument("auth header has no sentry_key");
  return auth;
}

std::optional<SentryAuth> ParseAuthQuery(std::string_view query) {
  SentryAuth auth;
  for (std::string_view name : {"sentry_key", "sentry_secret", "sentry_version", "sentry_client"}) {
    if (auto v = QueryParam(query, name)) Assign(auth, name, std::move(*v));
  }
  if (auth.sentry_key.empty()) return std::nullopt;
  return auth;
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    size_t eq = param.find('=');
    std::string_view key = param.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? "" : param.substr(eq + 1);
    // Names are compared raw first: real clients never encode "sentry_key".
    bool match = key == name ||
                 (key.find_first_of("%+") != std::string_view::npos && PercentDecode(key) == name);
    if (match) return PercentDecode(val);
  }
  return std::nullopt;
}

}  // namespace ferry::protocol
