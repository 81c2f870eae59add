// Rate limits learned from upstream answers, per upstream project key, so that while a limit
// holds ferry answers clients 429 itself (SDKs back off) instead of spooling what the upstream
// would refuse. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::forward {

class RateLimitCache {
 public:
  using Clock = std::chrono::steady_clock;

  // Remembers what an upstream answered for `key` (e.g. "sentry.example.com/<public key>"):
  // every X-Sentry-Rate-Limits entry, or for a 429 without one, Retry-After (default 60 s)
  // for every category.
  void Update(const std::string& key, unsigned status, std::string_view rate_limits,
              std::string_view retry_after, Clock::time_point now = Clock::now());

  struct Refusal {
    int64_t retry_after_s = 0;
    std::string rate_limits;  // the header to send back, seconds counted down
  };
  // A refusal when active limits cover every one of `categories` (an envelope that carries
  // something else is still delivered; the upstream drops what it limits).
  std::optional<Refusal> Check(const std::string& key, const std::vector<std::string>& categories,
                               Clock::time_point now = Clock::now());

 private:
  struct Limit {
    std::vector<std::string> categories;  // empty = all
    std::string scope, reason;
    Clock::time_point until;
  };
  std::mutex mu_;
  std::map<std::string, std::vector<Limit>> limits_;  // guarded by mu_
};

}  // namespace ferry::forward
