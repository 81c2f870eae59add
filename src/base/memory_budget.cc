#include "base/memory_budget.h"

#include <utility>

namespace ferry::base {

bool MemoryBudget::TryAcquire(uint64_t n) {
  uint64_t current = in_flight_.load(std::memory_order_relaxed);
  while (true) {
    if (limit_ != 0 && (n > limit_ || current > limit_ - n)) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (in_flight_.compare_exchange_weak(current, current + n, std::memory_order_relaxed)) {
      acquired_total_.fetch_add(n, std::memory_order_relaxed);
      return true;
    }
  }
}

MemoryLease::MemoryLease(MemoryLease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), held_(std::exchange(other.held_, 0)) {}

MemoryLease& MemoryLease::operator=(MemoryLease&& other) noexcept {
  if (this != &other) {
    Reset();
    budget_ = std::exchange(other.budget_, nullptr);
    held_ = std::exchange(other.held_, 0);
  }
  return *this;
}

bool MemoryLease::GrowTo(uint64_t total) {
  if (total <= held_) return true;
  if (budget_ != nullptr && !budget_->TryAcquire(total - held_)) return false;
  held_ = total;
  return true;
}

void MemoryLease::Absorb(MemoryLease&& other) { held_ += std::exchange(other.held_, 0); }

void MemoryLease::Reset() {
  if (budget_ != nullptr && held_ > 0) budget_->Release(held_);
  held_ = 0;
}

}  // namespace ferry::base
