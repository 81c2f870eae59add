// Ingest into the built-in store: POST /api/<id>/envelope/ and /api/<id>/store/, and the
// tunnel's delivery to this server's own DSNs. The I/O thread only hands the request to a
// worker; the worker authenticates, decodes, normalizes and groups, then the EventWriter stores
// the event in a group commit and the client is answered once it is durable.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "event/normalize.h"
#include "http/types.h"
#include "notify/alert.h"
#include "protocol/dsn.h"
#include "protocol/envelope.h"
#include "server/key_cache.h"
#include "server/metrics.h"
#include "server/tunnel.h"
#include "store/event_writer.h"

namespace ferry::server {

class Ingest final : public LocalStore {
 public:
  Ingest(const config::Config& config, KeyCache& keys, store::EventWriter& writer, Metrics& metrics,
         boost::asio::thread_pool& workers);

  // `project_id` is the id from the path; `legacy` selects /store/ (one JSON event).
  void Handle(int64_t project_id, bool legacy, http::IncomingRequest in, http::Respond respond);

  // The tunnel's local delivery: `envelope` is decoded and its header already names `dsn`.
  void Deliver(const protocol::Dsn& dsn, std::shared_ptr<const std::string> envelope,
               std::string client_ip, http::Respond respond) override;

  // Receives an alert for every stored event that opened a new issue or reopened a resolved
  // one, on the store writer's thread, so it must not block (notify::Notifier::Notify). Set it
  // before serving.
  void set_alert_sink(std::function<void(notify::Alert)> sink) { alert_sink_ = std::move(sink); }

 private:
  struct Job;
  void Process(Job& job, const http::Respond& respond);
  base::Result<KeyInfo> Authenticate(const Job& job, const protocol::EnvelopeHeader* header);
  void StoreEnvelope(const KeyInfo& key, std::string_view body, const std::string& client_ip,
                     const http::Respond& respond);
  // `sent_at` is the envelope header's, which lets normalization correct a drifted clock.
  void StoreEvent(const KeyInfo& key, std::string_view json, const std::string& client_ip,
                  std::vector<store::Attachment> attachments,
                  std::optional<std::chrono::system_clock::time_point> sent_at,
                  const http::Respond& respond);

  const config::Config& config_;
  KeyCache& keys_;
  store::EventWriter& writer_;
  Metrics& metrics_;
  boost::asio::thread_pool& workers_;
  std::function<void(notify::Alert)> alert_sink_;
};

}  // namespace ferry::server
