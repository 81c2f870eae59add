// Sentry client authentication as SDKs send it: the X-Sentry-Auth header, an
// `Authorization: Sentry ...` header (same syntax), or sentry_key=... query parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::protocol {

struct SentryAuth {
  std::string sentry_key;
  std::string sentry_secret;
  std::string sentry_version;
  std::string sentry_client;
};

// Parses "Sentry sentry_key=abc, sentry_version=7, sentry_client=x/1.0" (the "Sentry " prefix is
// case-insensitive and optional; values may be quoted). Errors (kInvalidArgument): a
// non-Sentry scheme (e.g. "Bearer ..."), a malformed pair, no sentry_key.
base::Result<SentryAuth> ParseAuthHeader(std::string_view value);

// Reads sentry_key / sentry_secret / sentry_version / sentry_client from a URL query string
// (without the '?'), percent-decoded. nullopt when the query has no sentry_key.
std::optional<SentryAuth> ParseAuthQuery(std::string_view query);

// The percent-decoded value of query parameter `name`, or nullopt.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

}  // namespace ferry::protocol
