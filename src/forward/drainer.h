// The drainer delivers spooled envelopes in the background, per upstream queue, oldest first,
// with bounded concurrency. Network errors, timeouts, 5xx and 429 are retried with exponential
// backoff (1 s × 1.5, capped at 60 s, with jitter) and the queue is probed with one request at
// a time until it answers again; Retry-After and X-Sentry-Rate-Limits are honoured; any other
// 4xx means the instance refused the data and the entry is dropped with a counted reason.
//
// Threading: one drainer thread runs every spool call (SQL stays off the I/O threads); sends
// complete on I/O threads and hand their results back through an inbox.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "forward/rate_limit_cache.h"
#include "forward/upstream_client.h"
#include "spool/spool.h"

namespace ferry::forward {

// A spooled entry made ready to send again.
struct ResolvedDelivery {
  Endpoint endpoint;
  OutgoingRequest request;
  std::string label;     // for metrics and logs: the target host[:port]
  std::string rate_key;  // RateLimitCache key of the target project key
};
using Resolver = std::function<base::Result<ResolvedDelivery>(const spool::SpoolEntry&)>;

struct DrainerOptions {
  size_t max_in_flight = 8;  // per queue, when the upstream answers
  std::chrono::milliseconds initial_backoff{1000};
  double backoff_factor = 1.5;
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::hours max_age{72};  // spool.max_age_hours: older entries are dropped
  std::chrono::milliseconds expiry_interval{60000};
};

// What happened to deliveries, for metrics and logs. Called on the drainer thread.
struct DrainerEvents {
  std::function<void(const std::string& label, unsigned status)> delivered;
  std::function<void(const std::string& label, const std::string& reason)> retried;
  std::function<void(const std::string& label, const std::string& reason, int64_t n)> dropped;
};

struct QueueState {
  std::string queue;
  int failures = 0;  // consecutive failed attempts
  int in_flight = 0;
  bool probing = false;     // one request at a time until the upstream answers
  int64_t retry_in_ms = 0;  // until the next attempt; 0 = now
};

class Drainer {
 public:
  Drainer(spool::Spool& spool, UpstreamClient& client, RateLimitCache& limits, Resolver resolve,
          DrainerOptions options, DrainerEvents events);
  ~Drainer();  // Stop()

  void Start();
  // Stops taking entries; sends in flight complete on their own, and what they leave
  // unacknowledged is delivered after the next start (at least once).
  void Stop();
  // New entries were pushed.
  void Notify();

  std::vector<QueueState> States();
  // The spool's totals as the drainer last read them (it reads them on every wake-up, at
  // least once a second and after every push). For metrics and status on I/O threads, which
  // must not wait on the spool.
  spool::SpoolStats LastStats();

 private:
  struct Completion {
    std::string queue;
    uint64_t id = 0;
    std::string label, rate_key;
    std::chrono::steady_clock::time_point sent;
    base::Result<UpstreamResponse> result = base::Status(base::Code::kInternal, "unset");
  };
  struct Inbox;  // shared with send callbacks, which may outlive the drainer
  struct Queue {
    std::chrono::steady_clock::time_point retry_at{};
    std::chrono::steady_clock::time_point last_backoff{};  // when the last failure counted
    int failures = 0;
    int in_flight = 0;
    bool probing = false;
  };

  void Run();
  void Handle(Completion& c, std::vector<uint64_t>* acks, std::vector<uint64_t>* releases);
  // One backoff step, unless the failed request was sent before the last step (several
  // requests failing together are one failure of the upstream, not many).
  void Backoff(Queue& q, std::chrono::steady_clock::time_point sent,
               std::chrono::milliseconds at_least);
  void Dispatch(std::chrono::steady_clock::time_point* next_wake);
  void Expire();

  spool::Spool& spool_;
  UpstreamClient& client_;
  RateLimitCache& limits_;
  Resolver resolve_;
  const DrainerOptions options_;
  DrainerEvents events_;
  std::shared_ptr<Inbox> inbox_;
  std::map<std::string, Queue> queues_;  // drainer thread only (copied into States)
  std::mutex states_mu_;
  std::vector<QueueState> states_;  // guarded by states_mu_; a snapshot for status and metrics
  spool::SpoolStats stats_;         // guarded by states_mu_
  std::chrono::steady_clock::time_point next_expiry_{};
  // Acks that failed (e.g. a full disk): retried on every loop, never forgotten, or the
  // entries would stay taken and undelivered until a restart.
  std::vector<uint64_t> pending_acks_;
  std::thread thread_;
};

}  // namespace ferry::forward
