#include "event/timestamp.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace ferry::event {

namespace {

using std::chrono::microseconds;

// About year 2096 (and 1843 backwards): beyond any real clock, and small enough that the
// difference of two such times still fits system_clock's int64 nanoseconds.
constexpr double kMaxEpochSeconds = 4e9;

bool ReadDigits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

TimePoint FromEpochSeconds(double seconds) {
  if (std::isnan(seconds)) seconds = 0;  // callers reject NaN; this keeps llround defined
  if (seconds > kMaxEpochSeconds) seconds = kMaxEpochSeconds;
  if (seconds < -kMaxEpochSeconds) seconds = -kMaxEpochSeconds;
  auto us = static_cast<int64_t>(std::llround(seconds * 1e6));
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(microseconds(us)));
}

std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
      !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, minute) ||
      !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, second)) {
    return std::nullopt;
  }
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      // Digits past microseconds are read and ignored: nanosecond SDKs exist.
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size()) {
    char c = s[pos++];
    if (c == 'Z' || c == 'z') {
      // UTC.
    } else if (c == '+' || c == '-') {
      int oh, om;
      if (!ReadDigits(s, pos, 2, oh)) return std::nullopt;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (!ReadDigits(s, pos, 2, om) || oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (oh * 60 + om) * (c == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;

  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  // Second 60 is a leap second; it is read as the last second of the minute.
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  if (second == 60) second = 59;
  sys_seconds whole =
      sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second) - minutes(offset_minutes);
  auto epoch = whole.time_since_epoch().count();
  if (epoch > kMaxEpochSeconds || epoch < -kMaxEpochSeconds) {
    return FromEpochSeconds(static_cast<double>(epoch));
  }
  return TimePoint(duration_cast<TimePoint::duration>(whole.time_since_epoch()) +
                   duration_cast<TimePoint::duration>(microseconds(micros)));
}

std::optional<TimePoint> ParseTimestampValue(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::int64:
      return FromEpochSeconds(static_cast<double>(v.get_int64()));
    case boost::json::kind::uint64:
      return FromEpochSeconds(static_cast<double>(v.get_uint64()));
    case boost::json::kind::double_:
      // Boost.JSON can yield NaN for inputs like "0e315" (0 times an overflowed power).
      if (std::isnan(v.get_double())) return std::nullopt;
      return FromEpochSeconds(v.get_double());
    case boost::json::kind::string: {
      std::string_view text = v.get_string();
      if (auto tp = ParseRfc3339(text)) return tp;
      if (auto number = ParseNumber(text)) return FromEpochSeconds(*number);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

TimePoint ShiftClamped(TimePoint tp, std::chrono::microseconds shift) {
  // Both are within a few 1e15 microseconds, so the sum cannot overflow int64 microseconds.
  auto us = std::chrono::duration_cast<microseconds>(tp.time_since_epoch()) + shift;
  return FromEpochSeconds(static_cast<double>(us.count()) / 1e6);
}

DriftCorrection ComputeDrift(TimePoint timestamp, TimePoint received,
                             std::optional<TimePoint> sent_at, const DriftLimits& limits) {
  using std::chrono::duration_cast;
  DriftCorrection out;
  if (timestamp > received + limits.max_in_future) {
    out.reason = "future_timestamp";
  } else if (timestamp < received - limits.max_in_past) {
    out.reason = "past_timestamp";
  }
  if (!out.reason.empty()) {
    // Relay treats the timestamp itself as the send time, which moves it to `received`.
    out.shift = duration_cast<microseconds>(received - timestamp);
    return out;
  }
  if (sent_at.has_value()) {
    // Below 55 minutes the difference is latency or ordinary skew; at or above it is usually
    // a wrong time zone or a dead clock battery, and correcting it makes the timeline right.
    constexpr std::chrono::minutes kMinimumDrift{55};
    auto drift = duration_cast<microseconds>(received - *sent_at);
    if (drift >= kMinimumDrift || drift <= -kMinimumDrift) {
      out.shift = drift;
      out.reason = "clock_drift";
    }
  }
  return out;
}

}  // namespace ferry::event
