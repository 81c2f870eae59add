#include "event/timestamp.h"

#include <gtest/gtest.h>

#include "event/event.h"

namespace ferry::event {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(int64_t epoch_seconds) { return TimePoint(seconds(epoch_seconds)); }

constexpr int64_t kEpoch = 1710152130;  // 2024-03-11T10:15:30Z

TEST(Rfc3339Test, ParsesUtcWithFraction) {
  auto tp = ParseRfc3339("2024-03-11T10:15:30.123456Z");
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(*tp, At(kEpoch) + microseconds(123456));
}

TEST(Rfc3339Test, ParsesOffsetsNaiveAndSpaceSeparator) {
  EXPECT_EQ(ParseRfc3339("2024-03-11T11:15:30+01:00"), At(kEpoch));
  EXPECT_EQ(ParseRfc3339("2024-03-11T05:15:30-0500"), At(kEpoch));
  EXPECT_EQ(ParseRfc3339("2024-03-11T10:15:30"), At(kEpoch));
  EXPECT_EQ(ParseRfc3339("2024-03-11 10:15:30.5"), At(kEpoch) + std::chrono::milliseconds(500));
  // Nanosecond precision is accepted and cut to microseconds.
  EXPECT_EQ(ParseRfc3339("2024-03-11T10:15:30.000000999Z"), At(kEpoch));
}

TEST(Rfc3339Test, RejectsMalformedAndImpossibleDates) {
  for (const char* bad : {"", "2024-03-11", "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z",
                          "2024-03-11T24:00:00Z", "2024-03-11T10:15:30.Z", "2024-03-11T10:15:30Q",
                          "yesterday", "2024-03-11T10:15:30Z trailing"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(TimestampValueTest, AcceptsEpochIntegersFloatsAndNumericStrings) {
  EXPECT_EQ(ParseTimestampValue(boost::json::value(kEpoch)), At(kEpoch));
  EXPECT_EQ(ParseTimestampValue(boost::json::value(1710152130.25)),
            At(kEpoch) + std::chrono::milliseconds(250));
  EXPECT_EQ(ParseTimestampValue(boost::json::value("1710152130")), At(kEpoch));
  EXPECT_FALSE(ParseTimestampValue(boost::json::value(true)).has_value());
  EXPECT_FALSE(ParseTimestampValue(boost::json::value(nullptr)).has_value());
}

TEST(TimestampValueTest, HugeEpochsSaturateInsteadOfOverflowing) {
  auto far = ParseTimestampValue(boost::json::value(1e300));
  ASSERT_TRUE(far.has_value());
  EXPECT_GT(*far, At(kEpoch) + hours(24 * 365 * 30));
  auto early = ParseTimestampValue(boost::json::value(-1e300));
  ASSERT_TRUE(early.has_value());
  EXPECT_LT(*early, At(0));
  EXPECT_TRUE(ParseRfc3339("9999-12-31T23:59:59Z").has_value());
}

TEST(FormatRfc3339Test, WritesUtcMicroseconds) {
  EXPECT_EQ(FormatRfc3339(At(kEpoch) + microseconds(42)), "2024-03-11T10:15:30.000042Z");
  EXPECT_EQ(FormatRfc3339(At(0)), "1970-01-01T00:00:00.000000Z");
}

TEST(FormatRfc3339Test, WritesEveryFieldBeforeAndAfterTheEpoch) {
  EXPECT_EQ(FormatRfc3339(At(0) - microseconds(1)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2095-11-29T21:07:08.123456Z")),
            "2095-11-29T21:07:08.123456Z");
  // The earliest time normalization can produce (its clamp, about 1843) still has four digits.
  EXPECT_EQ(FormatRfc3339(*ParseTimestampValue(boost::json::value(-1e300))).substr(0, 2), "18");
}

const DriftLimits kLimits{.max_in_future = seconds(60), .max_in_past = hours(24 * 30)};

TEST(DriftTest, KeepsTimestampsWithinRange) {
  DriftCorrection d = ComputeDrift(At(kEpoch + 30), At(kEpoch), std::nullopt, kLimits);
  EXPECT_EQ(d.shift, microseconds(0));
  EXPECT_EQ(d.reason, "");
  d = ComputeDrift(At(kEpoch - 29 * 86400), At(kEpoch), std::nullopt, kLimits);
  EXPECT_EQ(d.reason, "");
}

TEST(DriftTest, MovesFarFutureAndFarPastToReceived) {
  DriftCorrection d = ComputeDrift(At(kEpoch + 3600), At(kEpoch), std::nullopt, kLimits);
  EXPECT_EQ(d.reason, "future_timestamp");
  EXPECT_EQ(At(kEpoch + 3600) + d.shift, At(kEpoch));
  d = ComputeDrift(At(kEpoch - 31 * 86400), At(kEpoch), std::nullopt, kLimits);
  EXPECT_EQ(d.reason, "past_timestamp");
  EXPECT_EQ(At(kEpoch - 31 * 86400) + d.shift, At(kEpoch));
}

TEST(DriftTest, CorrectsDriftedDeviceClockFromSentAt) {
  // The device clock is two hours behind: its sent_at and its event time are both early.
  DriftCorrection d = ComputeDrift(At(kEpoch - 7200 - 5), At(kEpoch), At(kEpoch - 7200), kLimits);
  EXPECT_EQ(d.reason, "clock_drift");
  EXPECT_EQ(d.shift, hours(2));
  // Ten minutes is latency or skew, not a wrong clock: left alone.
  d = ComputeDrift(At(kEpoch - 600), At(kEpoch), At(kEpoch - 600), kLimits);
  EXPECT_EQ(d.shift, microseconds(0));
  EXPECT_EQ(d.reason, "");
}

TEST(DriftTest, ShiftClampedSaturates) {
  auto far = *ParseTimestampValue(boost::json::value(1e300));
  TimePoint shifted = ShiftClamped(far, std::chrono::duration_cast<microseconds>(hours(24 * 365)));
  EXPECT_GE(shifted, far);
}

}  // namespace
}  // namespace ferry::event
