// AlertBatcher: decides when alerts are mailed and which ones go together. Pure state, no
// threads and no clock of its own: the Notifier passes the time in, tests pass any time.
//
// When idle, an alert is due at once. After a mail went out, alerts collect for `interval` and
// then go as one digest, so a burst of hundreds of new issues gives a handful of mails. A failed
// mail keeps its alerts (first in line) and is retried after a backoff that starts at
// `retry_initial` and doubles up to `retry_max`; a success resets it. At most `max_pending`
// alerts wait, the ones in the mail being sent included; Add refuses more.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "notify/alert.h"

namespace ferry::notify {

struct BatchOptions {
  std::chrono::steady_clock::duration interval = std::chrono::seconds(60);
  std::chrono::steady_clock::duration retry_initial = std::chrono::seconds(1);
  std::chrono::steady_clock::duration retry_max = std::chrono::minutes(5);
  size_t max_pending = 10000;
  size_t max_per_mail = 500;  // alerts listed in one digest; the rest go in the next one
};

class AlertBatcher {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit AlertBatcher(BatchOptions options) : options_(options) {}

  // False (and nothing kept) when max_pending alerts wait already.
  bool Add(Alert alert);

  // When the next mail may go out; nullopt when nothing waits (or a mail is being sent).
  std::optional<TimePoint> Due() const;

  // The alerts for one mail when one is due at `now`, else empty. They stay counted as pending
  // until Sent or Failed says how it went. REQUIRES: no mail in flight.
  std::vector<Alert> Take(TimePoint now);

  // The mail from the last Take went out at `now`: its alerts are done, and the next mail waits
  // for the interval.
  void Sent(TimePoint now);
  // It failed at `now`: its alerts wait first in line for the next attempt after the backoff.
  void Failed(TimePoint now);
  // Its alerts are given up (e.g. nobody to mail them to); the next mail is not delayed.
  void Discard();

  size_t pending() const { return pending_.size(); }
  bool in_flight() const { return in_flight_ > 0; }
  std::chrono::steady_clock::duration backoff() const { return backoff_; }

 private:
  const BatchOptions options_;
  std::deque<Alert> pending_;  // oldest first; the first in_flight_ are in the current mail
  size_t in_flight_ = 0;
  std::optional<TimePoint> not_before_;  // no mail before this (interval or retry backoff)
  std::chrono::steady_clock::duration backoff_{0};
};

}  // namespace ferry::notify
