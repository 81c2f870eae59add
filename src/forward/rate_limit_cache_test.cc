#include "forward/rate_limit_cache.h"

#include <gtest/gtest.h>

namespace ferry::forward {
namespace {

using std::chrono::seconds;

TEST(RateLimitCacheTest, RefusesWhileEveryCategoryIsLimited) {
  RateLimitCache cache;
  auto t0 = RateLimitCache::Clock::now();
  cache.Update("h/k", 429, "60:error:key:quota", "", t0);
  auto refusal = cache.Check("h/k", {"error"}, t0 + seconds(10));
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->retry_after_s, 50);
  EXPECT_EQ(refusal->rate_limits, "50:error:key:quota");
  // An envelope that also carries a session still goes through.
  EXPECT_FALSE(cache.Check("h/k", {"error", "session"}, t0 + seconds(10)).has_value());
  EXPECT_FALSE(cache.Check("other/k", {"error"}, t0 + seconds(10)).has_value());
  EXPECT_FALSE(cache.Check("h/k", {"error"}, t0 + seconds(61)).has_value());
}

TEST(RateLimitCacheTest, EmptyCategoryListLimitsEverything) {
  RateLimitCache cache;
  auto t0 = RateLimitCache::Clock::now();
  cache.Update("h/k", 200, "30::organization", "", t0);
  EXPECT_TRUE(cache.Check("h/k", {"transaction", "attachment"}, t0).has_value());
}

TEST(RateLimitCacheTest, PlainRetryAfterOn429) {
  RateLimitCache cache;
  auto t0 = RateLimitCache::Clock::now();
  cache.Update("h/k", 429, "", "7", t0);
  auto refusal = cache.Check("h/k", {"error"}, t0);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->retry_after_s, 7);
  cache.Update("h/k2", 429, "", "", t0);
  EXPECT_EQ(cache.Check("h/k2", {"error"}, t0)->retry_after_s, 60);
  cache.Update("h/k3", 500, "", "", t0);
  EXPECT_FALSE(cache.Check("h/k3", {"error"}, t0).has_value());
}

}  // namespace
}  // namespace ferry::forward
