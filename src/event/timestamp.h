// Event timestamps: parsing the forms SDKs send, and Relay's clock-drift rules.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::event {

using TimePoint = std::chrono::system_clock::time_point;

// "2024-05-01T12:30:00Z", with optional fraction and a "Z" or "+hh:mm" offset; a missing offset
// means UTC (older Python SDKs send naive UTC times). A space may replace the "T".
std::optional<TimePoint> ParseRfc3339(std::string_view text);

// A timestamp as SDKs send it: RFC 3339 text, or seconds since the epoch as an integer, a
// float, or a numeric string. Epochs beyond year ~5000 saturate rather than overflow.
std::optional<TimePoint> ParseTimestampValue(const boost::json::value& v);

struct DriftLimits {
  std::chrono::seconds max_in_future;
  std::chrono::seconds max_in_past;
};

struct DriftCorrection {
  // Added to the event timestamp and to every breadcrumb timestamp.
  std::chrono::microseconds shift{0};
  // Relay's error name when the timestamp was out of range ("future_timestamp",
  // "past_timestamp") or "clock_drift" when sent_at revealed a drifted clock; else empty.
  std::string reason;
};

// `tp + shift`, saturating at the representable range instead of overflowing.
TimePoint ShiftClamped(TimePoint tp, std::chrono::microseconds shift);

// Relay's rule: a timestamp outside [received - max_in_past, received + max_in_future] is moved
// to `received`. Otherwise, when the envelope's sent_at shows the device clock is off by 55
// minutes or more, every timestamp is shifted by that drift.
DriftCorrection ComputeDrift(TimePoint timestamp, TimePoint received,
                             std::optional<TimePoint> sent_at, const DriftLimits& limits);

}  // namespace ferry::event
