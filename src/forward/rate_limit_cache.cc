#include "forward/rate_limit_cache.h"

#include <algorithm>

#include "protocol/rate_limits.h"

namespace ferry::forward {

namespace {

constexpr int64_t kDefaultRetryAfterS = 60;

bool Covers(const std::vector<std::string>& limit_categories, const std::string& category) {
  return limit_categories.empty() || std::find(limit_categories.begin(), limit_categories.end(),
                                               category) != limit_categories.end();
}

}  // namespace

void RateLimitCache::Update(const std::string& key, unsigned status, std::string_view rate_limits,
                            std::string_view retry_after, Clock::time_point now) {
  std::vector<Limit> learned;
  for (auto& l : protocol::ParseRateLimits(rate_limits)) {
    learned.push_back({std::move(l.categories), std::move(l.scope), std::move(l.reason),
                       now + std::chrono::seconds(l.seconds)});
  }
  if (learned.empty() && status == 429) {
    learned.push_back(
        {{},
         "key",
         "",
         now + std::chrono::seconds(protocol::ParseRetryAfter(retry_after, kDefaultRetryAfterS))});
  }
  if (learned.empty()) return;
  std::lock_guard lock(mu_);
  auto& limits = limits_[key];
  std::erase_if(limits, [now](const Limit& l) { return l.until <= now; });
  for (auto& l : learned) limits.push_back(std::move(l));
}

std::optional<RateLimitCache::Refusal> RateLimitCache::Check(
    const std::string& key, const std::vector<std::string>& categories, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = limits_.find(key);
  if (it == limits_.end()) return std::nullopt;
  auto& limits = it->second;
  std::erase_if(limits, [now](const Limit& l) { return l.until <= now; });
  if (limits.empty()) {
    limits_.erase(it);
    return std::nullopt;
  }
  const std::vector<std::string> any = {"default"};
  const auto& wanted = categories.empty() ? any : categories;
  int64_t longest = 0;
  for (const auto& category : wanted) {
    int64_t covered_for = 0;
    for (const auto& l : limits) {
      if (!Covers(l.categories, category)) continue;
      auto left = std::chrono::ceil<std::chrono::seconds>(l.until - now).count();
      covered_for = std::max<int64_t>(covered_for, left);
    }
    if (covered_for == 0) return std::nullopt;  // this category may still go through
    longest = std::max(longest, covered_for);
  }
  Refusal refusal;
  refusal.retry_after_s = longest;
  for (const auto& l : limits) {
    if (!refusal.rate_limits.empty()) refusal.rate_limits += ", ";
    auto left = std::chrono::ceil<std::chrono::seconds>(l.until - now).count();
    std::string cats;
    for (const auto& c : l.categories) cats += (cats.empty() ? "" : ";") + c;
    refusal.rate_limits += std::to_string(left) + ":" + cats + ":" + l.scope;
    if (!l.reason.empty()) refusal.rate_limits += ":" + l.reason;
  }
  return refusal;
}

}  // namespace ferry::forward
