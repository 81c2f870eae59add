// Shared helpers for the event tests: fixtures from testdata/ and a fixed receive time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "event/normalize.h"

namespace ferry::event::testing {

// 2024-03-11T10:16:00Z, thirty seconds after the fixtures' timestamps.
inline std::chrono::system_clock::time_point TestNow() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1710152160));
}

inline NormalizeOptions TestOptions() {
  NormalizeOptions opts;
  opts.now = TestNow();
  opts.client_ip = "198.51.100.7";
  return opts;
}

// The value of the tag `key`, or nullopt.
inline std::optional<std::string> Tag(const NormalizedEvent& ev, std::string_view key) {
  for (const KeyValue& kv : ev.tags) {
    if (kv.key == key) return kv.value;
  }
  return std::nullopt;
}

// "<type> <name>" of each normalization error, joined by ", ".
inline std::string ErrorNames(const NormalizedEvent& ev) {
  std::string out;
  for (const EventError& e : ev.errors) {
    if (!out.empty()) out += ", ";
    out += e.type + " " + e.name;
  }
  return out;
}

inline std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(FERRY_EVENT_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Normalizes `json` with TestOptions(), failing the test when it is refused.
inline NormalizedEvent MustNormalize(const std::string& json,
                                     const NormalizeOptions& opts = TestOptions()) {
  auto result = Normalize(json, opts);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : NormalizedEvent{};
}

}  // namespace ferry::event::testing
