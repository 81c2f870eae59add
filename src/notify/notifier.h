// Notifier: mails alerts about new issues and regressions (DESIGN.md §2.6) from its own thread.
//
// Notify() only queues (a short lock, never I/O), so ingest never waits for mail. The thread
// asks an AlertBatcher when to send: at once when idle, then one digest per batch interval;
// failures are retried with a doubling backoff up to 5 minutes while the alerts wait in memory
// (bounded: beyond max_pending, new alerts are dropped and counted). Recipients are mail.to, or
// else every user in the store, looked up for each mail. Pending alerts live in memory only: a
// restart loses them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "notify/alert.h"
#include "notify/batcher.h"
#include "notify/smtp_client.h"
#include "store/store.h"

namespace ferry::notify {

struct NotifierOptions {
  std::string public_url;       // links to issues: <public_url>/issues/<id>/
  std::string from;             // "user@host" or "Name <user@host>"
  std::vector<std::string> to;  // empty = every user of `store`
  BatchOptions batch;

  static NotifierOptions FromConfig(const config::Config& config);
};

struct NotifierStats {
  uint64_t sent = 0;      // mails the server accepted
  uint64_t failures = 0;  // attempts that failed (each is retried)
  uint64_t dropped = 0;   // alerts given up: queue full, nobody to mail, or stopped
  uint64_t queued = 0;    // alerts waiting now, the mail being sent included
};

class Notifier {
 public:
  // `transport` and `store` must outlive the notifier; `store` may be null when options.to is
  // set. The thread starts at once.
  Notifier(NotifierOptions options, MailTransport& transport, store::Store* store);
  ~Notifier();  // Stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues an alert; never blocks on mail. Counted as dropped when the queue is full.
  void Notify(Alert alert);

  // Ends the thread promptly: a mail in progress is cancelled and pending alerts are dropped
  // (logged with their number). Idempotent.
  void Stop();

  NotifierStats stats() const;

 private:
  void Run();
  // Builds and sends one mail about `alerts`. kNotFound when there is nobody to mail.
  base::Status SendMail(const std::vector<Alert>& alerts);
  base::Result<std::vector<std::string>> Recipients();

  const NotifierOptions options_;
  MailTransport& transport_;
  store::Store* store_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  AlertBatcher batcher_;      // GUARDED_BY(mu_)
  NotifierStats stats_;       // GUARDED_BY(mu_); queued is filled in by stats()
  bool stopping_ = false;     // GUARDED_BY(mu_)
  bool overflowing_ = false;  // GUARDED_BY(mu_): logged once per overflow
  std::mutex stop_mu_;        // serializes Stop() callers
  std::thread thread_;
};

}  // namespace ferry::notify
