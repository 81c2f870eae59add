// A Clock for tests: time moves only when the test says so.
#pragma once

#include <chrono>
#include <mutex>

#include "base/clock.h"

namespace ferry::store::testing {

class FakeClock final : public base::Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point now = {}) : now_(now) {}

  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    std::lock_guard lock(mu_);
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(now_.time_since_epoch()));
  }

  void Set(std::chrono::system_clock::time_point now) {
    std::lock_guard lock(mu_);
    now_ = now;
  }
  void Advance(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
};

}  // namespace ferry::store::testing
