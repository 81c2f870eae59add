#include "protocol/dsn.h"

#include <algorithm>

#include "base/strings.h"

namespace ferry::protocol {
namespace {

using base::InvalidArgument;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// RFC 3986 reg-name characters we accept in a host name (percent-encoding and sub-delims are
// not used by real Sentry hosts and would only complicate comparisons).
bool IsHostChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Inside "[...]": hex digits, ':' and '.' (for an embedded IPv4 tail).
bool IsIpv6Literal(std::string_view s) {
  if (s.empty() || s.find(':') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
}

// Characters that may never appear in a key, a secret or the path of a DSN.
bool HasForbiddenChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\';
  });
}

}  // namespace

uint16_t Dsn::EffectivePort() const {
  if (port != 0) return port;
  return scheme == "https" ? 443 : 80;
}

std::string Dsn::HostPort() const {
  uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port == 0 || port == default_port) return host;
  return host + ":" + std::to_string(port);
}

std::string Dsn::Origin() const { return scheme + "://" + HostPort(); }

std::string Dsn::EnvelopeUrl() const {
  return Origin() + path + "/api/" + project_id + "/envelope/";
}

std::string Dsn::ToString() const {
  std::string out = scheme + "://" + public_key;
  if (!secret.empty()) out += ":" + base::MaskSecret(secret);
  out += "@" + host;
  if (port != 0) out += ":" + std::to_string(port);
  return out + path + "/" + project_id;
}

base::Result<Dsn> ParseDsn(std::string_view text) {
  Dsn dsn;
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0 || !IsAlpha(text[0])) {
    return InvalidArgument("DSN is not a URL");
  }
  std::string_view scheme = text.substr(0, sep);
  for (char c : scheme) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return InvalidArgument("DSN is not a URL");
    }
  }
  dsn.scheme = base::AsciiLower(scheme);
  if (dsn.scheme != "http" && dsn.scheme != "https") {
    return InvalidArgument("DSN scheme must be http or https");
  }

  std::string_view rest = text.substr(sep + 3);
  // A query or fragment carries no part of the DSN (old SDK options lived there); drop it.
  rest = rest.substr(0, rest.find_first_of("?#"));
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);

  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return InvalidArgument("DSN has no public key");
  std::string_view userinfo = authority.substr(0, at);
  std::string_view hostport = authority.substr(at + 1);
  size_t colon = userinfo.find(':');
  std::string_view key = userinfo.substr(0, colon);
  std::string_view secret = colon == std::string_view::npos ? "" : userinfo.substr(colon + 1);
  if (key.empty()) return InvalidArgument("DSN has no public key");
  if (HasForbiddenChar(key) || key.find('@') != std::string_view::npos) {
    return InvalidArgument("DSN public key has invalid characters");
  }
  if (HasForbiddenChar(secret) || secret.find('@') != std::string_view::npos) {
    return InvalidArgument("DSN secret has invalid characters");
  }
  dsn.public_key = key;
  dsn.secret = secret;

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos || !IsIpv6Literal(hostport.substr(1, close - 1))) {
      return InvalidArgument("DSN has an invalid host");
    }
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument("DSN has an invalid host");
      has_port = true;
      port = after.substr(1);
    }
  } else {
    size_t port_colon = hostport.find(':');
    host = hostport.substr(0, port_colon);
    if (port_colon != std::string_view::npos) {
      has_port = true;
      port = hostport.substr(port_colon + 1);
    }
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return InvalidArgument("DSN has an invalid host");
    }
  }
  if (host.empty()) return InvalidArgument("DSN has no host");
  dsn.host = base::AsciiLower(host);
  if (has_port) {
    if (!AllDigits(port) || port.size() > 5) return InvalidArgument("DSN has an invalid port");
    int value = 0;
    for (char c : port) value = value * 10 + (c - '0');
    if (value < 1 || value > 65535) return InvalidArgument("DSN has an invalid port");
    dsn.port = static_cast<uint16_t>(value);
  }

  // The project id is the last path segment; one trailing slash is forgiven.
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t last = path.rfind('/');
  std::string_view project = last == std::string_view::npos ? "" : path.substr(last + 1);
  if (project.empty()) return InvalidArgument("DSN has no project id");
  if (!AllDigits(project)) return InvalidArgument("DSN project id is not a number");
  std::string_view prefix = path.substr(0, last);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (HasForbiddenChar(prefix)) return InvalidArgument("DSN path has invalid characters");
  dsn.path = prefix;
  dsn.project_id = project;
  return dsn;
}

}  // namespace ferry::protocol
