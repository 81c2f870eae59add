#include "protocol/rate_limits.h"

#include <cmath>
#include <cstdlib>

#include "base/strings.h"

namespace ferry::protocol {

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(
        s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// Non-negative seconds, fractions rounded up; -1 when not a number.
int64_t ParseSeconds(std::string_view s) {
  s = base::Trim(s);
  if (s.empty() || s.size() > 20) return -1;
  std::string text(s);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v) || v < 0 || v > 1e9) return -1;
  return static_cast<int64_t>(std::ceil(v));
}

}  // namespace

bool RateLimit::Covers(std::string_view category) const {
  if (categories.empty()) return true;
  for (const auto& c : categories) {
    if (c == category) return true;
  }
  return false;
}

std::vector<RateLimit> ParseRateLimits(std::string_view header) {
  std::vector<RateLimit> limits;
  for (auto entry : Split(header, ',')) {
    entry = base::Trim(entry);
    if (entry.empty()) continue;
    auto parts = Split(entry, ':');
    int64_t seconds = ParseSeconds(parts[0]);
    if (seconds < 0) continue;
    RateLimit limit;
    limit.seconds = seconds;
    if (parts.size() > 1) {
      for (auto c : Split(parts[1], ';')) {
        c = base::Trim(c);
        if (!c.empty()) limit.categories.emplace_back(c);
      }
    }
    if (parts.size() > 2) limit.scope = std::string(base::Trim(parts[2]));
    if (parts.size() > 3) limit.reason = std::string(base::Trim(parts[3]));
    limits.push_back(std::move(limit));
  }
  return limits;
}

int64_t ParseRetryAfter(std::string_view header, int64_t fallback) {
  int64_t seconds = ParseSeconds(header);
  return seconds < 0 ? fallback : seconds;
}

std::string_view ItemCategory(std::string_view type) {
  if (type == "event") return "error";
  if (type == "transaction") return "transaction";
  if (type == "attachment") return "attachment";
  if (type == "session" || type == "sessions") return "session";
  if (type == "client_report") return "internal";
  if (type == "user_report" || type == "feedback") return "user_report";
  if (type == "profile") return "profile";
  if (type == "replay_event" || type == "replay_recording") return "replay";
  if (type == "check_in") return "monitor";
  if (type == "statsd" || type == "metric_buckets") return "metric_bucket";
  return "default";
}

}  // namespace ferry::protocol
