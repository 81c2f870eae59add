// Sign-in for the web UI: session cookies, CSRF tokens and the throttle on failed logins.
// Sessions live in the store (they survive restarts; signing out everywhere deletes them
// all); the cookie carries a random token of which the store keeps only the SHA-256.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "http/types.h"
#include "store/store.h"

namespace ferry::web {

inline constexpr std::string_view kSessionCookie = "ferry_session";
inline constexpr int64_t kSessionLifetimeMs = int64_t{14} * 24 * 3600 * 1000;

// Now, in milliseconds since the epoch: what sessions expire by.
int64_t NowMs();

// The value of cookie `name` in a Cookie header, or "" when it is not there.
std::string CookieValue(std::string_view cookie_header, std::string_view name);

// The session a request's cookie names, when it is live at `now_ms`.
base::Result<std::optional<store::Session>> SessionOf(store::Store& store,
                                                      const http::Request& request, int64_t now_ms);

// The Set-Cookie value that starts a session (`token` empty: that ends it). `secure` when the
// UI is served over https.
std::string SessionCookie(std::string_view token, bool secure);

// Constant-time comparison of a form's CSRF token with the session's.
bool CsrfMatches(std::string_view sent, std::string_view expected);

// Counts failed sign-ins per key (an address, an account) in a sliding window. A key with
// `max_failures` failures in the window is refused until the oldest of them leaves it. Memory
// is bounded: at most `max_keys` keys are tracked, the least recently failed going first.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LoginThrottle(int max_failures, Clock::duration window, size_t max_keys = 10'000);

  // Zero when `key` may try now, else how long it must wait.
  Clock::duration RetryAfter(const std::string& key, Clock::time_point now);
  void RecordFailure(const std::string& key, Clock::time_point now);
  void Clear(const std::string& key);

 private:
  struct Entry {
    std::list<Clock::time_point> failures;  // oldest first, at most max_failures_
    std::list<std::string>::iterator order;
  };
  void Forget(std::unordered_map<std::string, Entry>::iterator it);

  const int max_failures_;
  const Clock::duration window_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  std::list<std::string> order_;                    // least recently failed first; GUARDED_BY
};

}  // namespace ferry::web
