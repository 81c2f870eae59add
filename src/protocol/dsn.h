// DSNs: scheme://public_key[:secret]@host[:port][/path]/project_id
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::protocol {

struct Dsn {
  std::string scheme;  // "http" or "https"
  std::string public_key;
  std::string secret;      // empty when none
  std::string host;        // lower-cased; an IPv6 literal keeps its brackets ("[::1]")
  uint16_t port = 0;       // 0 when the DSN names none
  std::string path;        // prefix before the project id, "" or "/sentry" (no trailing slash)
  std::string project_id;  // decimal digits

  uint16_t EffectivePort() const;   // port, else 443 for https and 80 for http
  std::string HostPort() const;     // "host" when the port is default or absent, else "host:port"
  std::string Origin() const;       // scheme://host[:port]
  std::string EnvelopeUrl() const;  // Origin() + path + "/api/<project_id>/envelope/"
  std::string ToString() const;     // the DSN with the secret masked
};

// Errors (kInvalidArgument, detail says what is wrong): not a URL, scheme other than http(s),
// no public key, no host, bad port, no project id or a project id that is not decimal digits.
base::Result<Dsn> ParseDsn(std::string_view text);

}  // namespace ferry::protocol
