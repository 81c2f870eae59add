// Checks for single config values: each takes the (already ${VAR}-expanded) text and returns
// the normalized value, or an error whose detail is the reason alone ("expected ..."), which
// parse.cc prefixes with the key. Pure functions, so they are tested one by one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::config::internal {

struct HostPort {
  std::string host;  // IPv6 without brackets
  uint16_t port = 0;
};

// "host:port" or "[v6]:port", port 0..65535 (0 = pick a free port).
base::Result<HostPort> ParseListen(std::string_view text);

// An http(s) URL "scheme://host[:port][/path]" without query or fragment. Scheme and host are
// lower-cased and a trailing '/' is removed. With allow_path false only "/" may follow the
// authority.
base::Result<std::string> NormalizeHttpUrl(std::string_view text, bool allow_path);

// "host", "host:port", "[v6]" or "[v6]:port", lower-cased. A URL or a path is refused with a
// message that says what to write instead.
base::Result<std::string> NormalizeHost(std::string_view text);

// "host[:port]/project_id" (digits), lower-cased.
base::Result<std::string> NormalizeProject(std::string_view text);

// scheme(http|https)://key[:secret]@host[:port][/path]/project_id. Returns the text unchanged:
// remap matches the DSN exactly as clients send it. Kept private to src/config on purpose (the
// full parser lives in src/protocol, which config must not depend on).
base::Result<std::string> CheckDsn(std::string_view text);

// A tunnel path: starts with '/'; a '*' may only be the last character (prefix match).
base::Result<std::string> CheckTunnelPath(std::string_view text);

// A CORS origin: "*" or "scheme://host[:port]" (any scheme: capacitor://localhost is one);
// lower-cased, trailing '/' removed because browsers never send one.
base::Result<std::string> NormalizeOrigin(std::string_view text);

// The DSN with its public key and secret masked (base::MaskSecret). Best effort on text that
// is not a DSN, so it is also safe for error messages about bad DSNs.
std::string MaskDsn(std::string_view text);

// A URL with the password of its user info replaced by "***" (postgresql://u:***@host/db).
std::string MaskUrlPassword(std::string_view text);

// A mail address "local@domain" (no spaces, quotes, angle brackets or control characters), or
// with `allow_name` also "Display Name <local@domain>". Returned unchanged.
base::Result<std::string> CheckMailAddress(std::string_view text, bool allow_name);

// "true" / "false" (any case).
base::Result<bool> ParseBool(std::string_view text);

// Decimal digits in [min, max].
base::Result<uint64_t> ParseUint(std::string_view text, uint64_t min, uint64_t max);

// Levenshtein distance, for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace ferry::config::internal
