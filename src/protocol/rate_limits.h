// Sentry's rate-limit answers: the X-Sentry-Rate-Limits header
// ("<seconds>:<categories>:<scope>:<reason_code>[:<namespaces>], ...", categories separated by
// ';', empty = every category) and the plain Retry-After fallback of a 429.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::protocol {

struct RateLimit {
  int64_t seconds = 0;
  std::vector<std::string> categories;  // empty = all categories
  std::string scope;                    // "organization", "project", "key", ...
  std::string reason;                   // reason code, may be empty

  bool Covers(std::string_view category) const;
};

// Parses the header; malformed entries are skipped (an upstream's typo must not make ferry
// forget the well-formed limits beside it). Seconds are rounded up.
std::vector<RateLimit> ParseRateLimits(std::string_view header);

// Retry-After as delay-seconds (an HTTP date is not supported: `fallback` is returned).
int64_t ParseRetryAfter(std::string_view header, int64_t fallback);

// The rate-limit category of an envelope item type ("event" → "error", ...).
std::string_view ItemCategory(std::string_view item_type);

}  // namespace ferry::protocol
