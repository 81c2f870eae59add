#include "protocol/rate_limits.h"

#include <gtest/gtest.h>

namespace ferry::protocol {
namespace {

TEST(ParseRateLimitsTest, ReadsCategoriesScopeAndReason) {
  auto limits = ParseRateLimits("60:error;transaction:key:quota_exceeded, 2700::organization");
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[0].seconds, 60);
  EXPECT_EQ(limits[0].categories, (std::vector<std::string>{"error", "transaction"}));
  EXPECT_EQ(limits[0].scope, "key");
  EXPECT_EQ(limits[0].reason, "quota_exceeded");
  EXPECT_TRUE(limits[0].Covers("error"));
  EXPECT_FALSE(limits[0].Covers("session"));
  EXPECT_EQ(limits[1].seconds, 2700);
  EXPECT_TRUE(limits[1].categories.empty());
  EXPECT_TRUE(limits[1].Covers("session"));
}

TEST(ParseRateLimitsTest, SkipsMalformedEntriesAndRoundsUp) {
  auto limits = ParseRateLimits("abc:error, 1.2:error:key, :x, , 5");
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[0].seconds, 2);
  EXPECT_EQ(limits[1].seconds, 5);
  EXPECT_TRUE(limits[1].categories.empty());
}

TEST(ParseRetryAfterTest, SecondsOrFallback) {
  EXPECT_EQ(ParseRetryAfter("30", 60), 30);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 60), 60);
  EXPECT_EQ(ParseRetryAfter("", 60), 60);
}

TEST(ItemCategoryTest, MapsItemTypes) {
  EXPECT_EQ(ItemCategory("event"), "error");
  EXPECT_EQ(ItemCategory("sessions"), "session");
  EXPECT_EQ(ItemCategory("something_new"), "default");
}

}  // namespace
}  // namespace ferry::protocol
