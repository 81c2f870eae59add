#include "notify/batcher.h"

#include <algorithm>

namespace ferry::notify {

bool AlertBatcher::Add(Alert alert) {
  if (pending_.size() >= options_.max_pending) return false;
  pending_.push_back(std::move(alert));
  return true;
}

std::optional<AlertBatcher::TimePoint> AlertBatcher::Due() const {
  if (pending_.empty() || in_flight_ > 0) return std::nullopt;
  return not_before_.value_or(TimePoint::min());
}

std::vector<Alert> AlertBatcher::Take(TimePoint now) {
  auto due = Due();
  if (!due || now < *due) return {};
  in_flight_ = std::min(pending_.size(), std::max<size_t>(1, options_.max_per_mail));
  return {pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(in_flight_)};
}

void AlertBatcher::Sent(TimePoint now) {
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
  in_flight_ = 0;
  backoff_ = {};
  not_before_ = now + options_.interval;
}

void AlertBatcher::Failed(TimePoint now) {
  in_flight_ = 0;
  backoff_ =
      backoff_.count() == 0 ? options_.retry_initial : std::min(backoff_ * 2, options_.retry_max);
  not_before_ = now + backoff_;
}

void AlertBatcher::Discard() {
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
  in_flight_ = 0;
}

}  // namespace ferry::notify
