// Time as a seam: production code asks a Clock, tests inject a fake one.
#pragma once

#include <atomic>
#include <chrono>

namespace ferry::base {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

// The process-wide real clock.
const Clock& RealClock();

}  // namespace ferry::base
