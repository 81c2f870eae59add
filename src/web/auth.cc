#include "web/auth.h"

#include <sodium.h>

#include "base/strings.h"
#include "store/credentials.h"

namespace ferry::web {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = base::Trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? "" : header.substr(semi + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && base::Trim(pair.substr(0, eq)) == name) {
      std::string_view value = base::Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return "";
}

base::Result<std::optional<store::Session>> SessionOf(store::Store& store,
                                                      const http::Request& request,
                                                      int64_t now_ms) {
  std::string token = CookieValue(request[http::bhttp::field::cookie], kSessionCookie);
  // Tokens are 64 hex characters; anything else cannot name a session.
  if (token.size() != 64) return std::optional<store::Session>();
  return store.FindSession(store::TokenSha256(token), now_ms);
}

std::string SessionCookie(std::string_view token, bool secure) {
  std::string out(kSessionCookie);
  out += '=';
  out += token;
  out += "; Path=/; HttpOnly; SameSite=Lax";
  out += token.empty() ? "; Max-Age=0" : "; Max-Age=" + std::to_string(kSessionLifetimeMs / 1000);
  if (secure) out += "; Secure";
  return out;
}

bool CsrfMatches(std::string_view sent, std::string_view expected) {
  if (expected.empty() || sent.size() != expected.size()) return false;
  return sodium_memcmp(sent.data(), expected.data(), sent.size()) == 0;
}

LoginThrottle::LoginThrottle(int max_failures, Clock::duration window, size_t max_keys)
    : max_failures_(max_failures), window_(window), max_keys_(max_keys) {}

LoginThrottle::Clock::duration LoginThrottle::RetryAfter(const std::string& key,
                                                         Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return Clock::duration::zero();
  auto& failures = it->second.failures;
  while (!failures.empty() && failures.front() + window_ <= now) failures.pop_front();
  if (failures.empty()) {
    Forget(it);
    return Clock::duration::zero();
  }
  if (static_cast<int>(failures.size()) < max_failures_) return Clock::duration::zero();
  return failures.front() + window_ - now;
}

void LoginThrottle::RecordFailure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) Forget(entries_.find(order_.front()));
    order_.push_back(key);
    it = entries_.emplace(key, Entry{{}, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  auto& failures = it->second.failures;
  failures.push_back(now);
  while (static_cast<int>(failures.size()) > max_failures_) failures.pop_front();
}

void LoginThrottle::Clear(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) Forget(it);
}

void LoginThrottle::Forget(std::unordered_map<std::string, Entry>::iterator it) {
  order_.erase(it->second.order);
  entries_.erase(it);
}

}  // namespace ferry::web
