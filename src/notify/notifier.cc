#include "notify/notifier.h"

#include <chrono>

#include "base/log.h"
#include "notify/message.h"
#include "notify/smtp_protocol.h"

namespace ferry::notify {

namespace {

using Steady = std::chrono::steady_clock;

std::string Seconds(Steady::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
}

}  // namespace

NotifierOptions NotifierOptions::FromConfig(const config::Config& config) {
  NotifierOptions o;
  o.public_url = config.server.public_url;
  o.from = config.mail.from;
  o.to = config.mail.to;
  o.batch.interval = std::chrono::seconds(config.mail.batch_interval_seconds);
  return o;
}

Notifier::Notifier(NotifierOptions options, MailTransport& transport, store::Store* store)
    : options_(std::move(options)),
      transport_(transport),
      store_(store),
      batcher_(options_.batch),
      thread_([this] { Run(); }) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Notify(Alert alert) {
  bool log_overflow = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      ++stats_.dropped;
      return;
    }
    if (!batcher_.Add(std::move(alert))) {
      ++stats_.dropped;
      log_overflow = !overflowing_;
      overflowing_ = true;
    } else {
      overflowing_ = false;
    }
  }
  if (log_overflow) {
    base::Log(base::LogLevel::kWarn, "mail alerts dropped: too many waiting",
              {{"max_pending", options_.batch.max_pending}});
    return;
  }
  cv_.notify_one();
}

void Notifier::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  transport_.Cancel();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

NotifierStats Notifier::stats() const {
  std::lock_guard lock(mu_);
  NotifierStats s = stats_;
  s.queued = batcher_.pending();
  return s;
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto due = batcher_.Due();
    if (!due) {
      cv_.wait(lock);
      continue;
    }
    auto now = Steady::now();
    if (now < *due) {
      cv_.wait_until(lock, *due);
      continue;
    }
    std::vector<Alert> alerts = batcher_.Take(now);
    if (alerts.empty()) continue;
    lock.unlock();
    base::Status st = SendMail(alerts);
    lock.lock();
    now = Steady::now();
    if (st.ok()) {
      batcher_.Sent(now);
      ++stats_.sent;
    } else if (st.code() == base::Code::kNotFound || st.code() == base::Code::kInvalidArgument) {
      // Nobody to send to, or a mail that no retry can make valid: waiting would only hold
      // back the alerts behind it.
      batcher_.Discard();
      stats_.dropped += alerts.size();
      lock.unlock();
      base::Log(base::LogLevel::kWarn, "mail alerts dropped",
                {{"alerts", alerts.size()}, {"reason", st.detail()}});
      lock.lock();
    } else if (!stopping_) {
      batcher_.Failed(now);
      ++stats_.failures;
      auto retry_in = batcher_.backoff();
      lock.unlock();
      base::Log(base::LogLevel::kWarn, "cannot send mail",
                {{"error", st.detail()},
                 {"alerts", alerts.size()},
                 {"retry_in_seconds", Seconds(retry_in)}});
      lock.lock();
    } else {
      batcher_.Failed(now);
    }
  }
  size_t lost = batcher_.pending();
  stats_.dropped += lost;
  lock.unlock();
  if (lost > 0) {
    base::Log(base::LogLevel::kWarn, "stopping with mail alerts unsent", {{"alerts", lost}});
  }
}

base::Result<std::vector<std::string>> Notifier::Recipients() {
  if (!options_.to.empty()) return options_.to;
  if (store_ == nullptr) return base::NotFound("no recipients: mail.to is empty");
  auto users = store_->ListUsers();
  if (!users.ok()) return users.status();
  std::vector<std::string> to;
  for (const auto& user : *users) {
    // One address no mail server would take must not hold back everyone else's mail.
    if (auto st = CheckEnvelopeAddress(user.email); !st.ok()) {
      base::Log(base::LogLevel::kWarn, "user left out of mail alerts",
                {{"email", user.email}, {"reason", st.detail()}});
      continue;
    }
    to.push_back(user.email);
  }
  if (to.empty()) {
    return base::NotFound(
        "no recipients: mail.to is empty and the store has no user with a usable address");
  }
  return to;
}

base::Status Notifier::SendMail(const std::vector<Alert>& alerts) {
  auto to = Recipients();
  if (!to.ok()) return to.status();
  MailContent content = ComposeAlerts(alerts, options_.public_url);
  MessageHeaders headers;
  headers.from = options_.from;
  // mail.to is the operator's own list (an alias, a team address) and is shown as it is. The
  // store's users do not see each other's addresses.
  if (!options_.to.empty() || to->size() == 1) headers.to = *to;
  headers.message_id = NewMessageId(options_.from);
  headers.date = std::chrono::system_clock::now();
  OutgoingMail mail;
  mail.from = std::string(MailAddress(options_.from));
  mail.to = std::move(*to);
  mail.message = BuildMessage(headers, content);
  base::Status st = transport_.Send(mail);
  if (st.ok()) {
    base::Log(base::LogLevel::kInfo, "mail sent",
              {{"alerts", alerts.size()}, {"recipients", mail.to.size()}});
  }
  return st;
}

}  // namespace ferry::notify
