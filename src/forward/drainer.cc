#include "forward/drainer.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/log.h"
#include "protocol/rate_limits.h"

namespace ferry::forward {

using SteadyClock = std::chrono::steady_clock;

struct Drainer::Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Completion> completions;  // guarded by mu
  bool notified = false;                // guarded by mu
  bool stopping = false;                // guarded by mu
};

Drainer::Drainer(spool::Spool& spool, UpstreamClient& client, RateLimitCache& limits,
                 Resolver resolve, DrainerOptions options, DrainerEvents events)
    : spool_(spool),
      client_(client),
      limits_(limits),
      resolve_(std::move(resolve)),
      options_(options),
      events_(std::move(events)),
      inbox_(std::make_shared<Inbox>()) {}

Drainer::~Drainer() { Stop(); }

void Drainer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Drainer::Stop() {
  {
    std::lock_guard lock(inbox_->mu);
    inbox_->stopping = true;
    inbox_->cv.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void Drainer::Notify() {
  std::lock_guard lock(inbox_->mu);
  inbox_->notified = true;
  inbox_->cv.notify_one();
}

std::vector<QueueState> Drainer::States() {
  std::lock_guard lock(states_mu_);
  return states_;
}

spool::SpoolStats Drainer::LastStats() {
  std::lock_guard lock(states_mu_);
  return stats_;
}

void Drainer::Backoff(Queue& q, SteadyClock::time_point sent, std::chrono::milliseconds at_least) {
  auto now = SteadyClock::now();
  if (sent < q.last_backoff) {
    // Already backing off for this outage; only a longer wait the upstream asked for counts.
    q.retry_at = std::max(q.retry_at, now + at_least);
    return;
  }
  q.last_backoff = now;
  ++q.failures;
  double ms = static_cast<double>(options_.initial_backoff.count()) *
              std::pow(options_.backoff_factor, std::min(q.failures - 1, 40));
  ms = std::min(ms, static_cast<double>(options_.max_backoff.count()));
  // Jitter (±20%) keeps several ferry nodes from retrying in lockstep.
  thread_local std::mt19937 rng{std::random_device{}()};
  ms *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  auto delay = std::max(std::chrono::milliseconds(static_cast<int64_t>(ms)), at_least);
  q.retry_at = now + delay;
  q.probing = true;
}

void Drainer::Handle(Completion& c, std::vector<uint64_t>* acks, std::vector<uint64_t>* releases) {
  Queue& q = queues_[c.queue];
  --q.in_flight;
  if (!c.result.ok()) {
    releases->push_back(c.id);
    Backoff(q, c.sent, std::chrono::milliseconds(0));
    if (events_.retried)
      events_.retried(c.label, std::string(base::CodeName(c.result.status().code())));
    base::Log(
        base::LogLevel::kWarn, "delivery failed, will retry",
        {{"upstream", c.label}, {"error", c.result.status().detail()}, {"failures", q.failures}});
    return;
  }
  const UpstreamResponse& r = *c.result;
  limits_.Update(c.rate_key, r.status, r.rate_limits, r.retry_after);
  if (r.status >= 200 && r.status < 300) {
    acks->push_back(c.id);
    q.failures = 0;
    q.probing = false;
    if (events_.delivered) events_.delivered(c.label, r.status);
    return;
  }
  if (r.status == 429 || r.status >= 500 || r.status == 408) {
    releases->push_back(c.id);
    // Retry-After is honoured on any retried answer (a 503 during maintenance sends it too);
    // a 429 without one waits for its rate limits, or a minute.
    int64_t secs = protocol::ParseRetryAfter(r.retry_after, 0);
    for (const auto& l : protocol::ParseRateLimits(r.rate_limits)) secs = std::max(secs, l.seconds);
    if (r.status == 429 && secs == 0) secs = 60;
    Backoff(q, c.sent, std::chrono::seconds(secs));
    if (events_.retried) events_.retried(c.label, "status_" + std::to_string(r.status));
    return;
  }
  // Any other answer is the instance refusing this data: retrying cannot help.
  acks->push_back(c.id);
  if (events_.dropped) events_.dropped(c.label, "rejected_" + std::to_string(r.status), 1);
  base::Log(base::LogLevel::kWarn, "envelope refused by the upstream, dropped",
            {{"upstream", c.label}, {"status", r.status}});
}

void Drainer::Expire() {
  auto now = SteadyClock::now();
  if (now < next_expiry_) return;
  next_expiry_ = now + options_.expiry_interval;
  auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                    (std::chrono::system_clock::now() - options_.max_age).time_since_epoch())
                    .count();
  auto dropped = spool_.DropOlderThan(cutoff);
  if (!dropped.ok()) {
    base::Log(base::LogLevel::kError, "spool expiry failed",
              {{"error", dropped.status().detail()}});
    return;
  }
  for (const auto& [queue, n] : *dropped) {
    if (n == 0) continue;
    base::Log(base::LogLevel::kWarn, "expired envelopes dropped from the spool",
              {{"queue", queue}, {"count", n}});
    if (events_.dropped) events_.dropped(queue, "expired", n);
  }
}

void Drainer::Dispatch(SteadyClock::time_point* next_wake) {
  auto stats = spool_.Stats();
  if (!stats.ok()) return;
  {
    std::lock_guard lock(states_mu_);
    stats_ = *stats;
  }
  auto now = SteadyClock::now();
  for (const auto& [name, qs] : stats->queues) {
    if (qs.entries == 0) continue;
    Queue& q = queues_[name];
    if (now < q.retry_at) {
      *next_wake = std::min(*next_wake, q.retry_at);
      continue;
    }
    int limit = q.probing ? 1 : static_cast<int>(options_.max_in_flight);
    int want = limit - q.in_flight;
    if (want <= 0) continue;
    auto entries = spool_.Take(name, static_cast<size_t>(want));
    if (!entries.ok()) continue;
    std::vector<uint64_t> unresolvable;
    for (auto& e : *entries) {
      auto d = resolve_(e);
      if (!d.ok()) {
        unresolvable.push_back(e.id);
        base::Log(base::LogLevel::kError, "spooled envelope cannot be delivered, dropped",
                  {{"queue", name}, {"error", d.status().detail()}});
        if (events_.dropped) events_.dropped(name, "unresolvable", 1);
        continue;
      }
      ++q.in_flight;
      auto inbox = inbox_;
      client_.Send(d->endpoint, std::move(d->request),
                   [inbox, queue = name, id = e.id, label = d->label, rate_key = d->rate_key,
                    sent = SteadyClock::now()](base::Result<UpstreamResponse> r) {
                     std::lock_guard lock(inbox->mu);
                     inbox->completions.push_back({queue, id, label, rate_key, sent, std::move(r)});
                     inbox->cv.notify_one();
                   });
    }
    pending_acks_.insert(pending_acks_.end(), unresolvable.begin(), unresolvable.end());
  }
}

void Drainer::Run() {
  auto next_wake = SteadyClock::now();
  while (true) {
    std::vector<Completion> completions;
    {
      std::unique_lock lock(inbox_->mu);
      inbox_->cv.wait_until(lock, next_wake, [this] {
        return inbox_->stopping || inbox_->notified || !inbox_->completions.empty();
      });
      if (inbox_->stopping) return;
      inbox_->notified = false;
      completions.swap(inbox_->completions);
    }
    std::vector<uint64_t> acks, releases;
    acks.swap(pending_acks_);
    for (auto& c : completions) Handle(c, &acks, &releases);
    if (!acks.empty()) {
      auto st = spool_.Ack(acks);
      if (!st.ok()) {
        base::Log(base::LogLevel::kError, "spool ack failed, will retry", {{"error", st.detail()}});
        pending_acks_ = std::move(acks);
      }
    }
    if (!releases.empty()) spool_.Release(releases);
    Expire();
    next_wake = SteadyClock::now() + std::chrono::seconds(1);
    Dispatch(&next_wake);

    std::vector<QueueState> states;
    auto now = SteadyClock::now();
    for (const auto& [name, q] : queues_) {
      int64_t wait =
          q.retry_at > now
              ? std::chrono::duration_cast<std::chrono::milliseconds>(q.retry_at - now).count()
              : 0;
      states.push_back({name, q.failures, q.in_flight, q.probing, wait});
    }
    std::lock_guard lock(states_mu_);
    states_ = std::move(states);
  }
}

}  // namespace ferry::forward
