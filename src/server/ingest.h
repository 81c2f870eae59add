// Ingest into the built-in store: POST /api/<id>/envelope/ and /api/<id>/store/, and the
// tunnel's delivery to this server's own DSNs. A key in the request's headers is checked
// against the key cache as soon as the header is read (CheckHead), before the body; the I/O
// thread then only hands the request to a worker, which authenticates (reading no more than
// the envelope's first line), decodes, normalizes and groups; the EventWriter stores the event
// in a group commit and the client is answered once it is durable.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.h"
#include "event/normalize.h"
#include "event/user_agent.h"
#include "http/types.h"
#include "notify/alert.h"
#include "protocol/dsn.h"
#include "protocol/envelope.h"
#include "server/key_cache.h"
#include "server/metrics.h"
#include "server/tunnel.h"
#include "server/workers.h"
#include "store/event_writer.h"

namespace ferry::server {

class Ingest final : public LocalStore {
 public:
  // `user_agent_regexes` is uap-core's regexes file (event/user_agent.h); without it events get
  // no contexts from their User-Agent, which is logged once.
  Ingest(const config::Config& config, KeyCache& keys, store::EventWriter& writer, Metrics& metrics,
         Workers& workers, std::string user_agent_regexes = event::kDefaultUserAgentRegexes);

  // `project_id` is the id from the path; `legacy` selects /store/ (one JSON event).
  void Handle(int64_t project_id, bool legacy, http::IncomingRequest in, http::Respond respond);

  // Before the body is read (on an I/O thread, from the key cache only): the refusal of a
  // request whose headers carry a malformed, conflicting, disabled or wrong-project key, or a
  // /store/ request with none.
  // A key the cache does not hold (unknown, or created a moment ago) is looked up on a worker
  // (a deferred verdict) before the body is read.
  http::HeadVerdict CheckHead(int64_t project_id, bool legacy, const http::Request& head);

  // The tunnel's local delivery: `envelope` is decoded and its header already names `dsn`.
  void Deliver(const protocol::Dsn& dsn, std::shared_ptr<const std::string> envelope,
               std::string client_ip, http::Respond respond) override;

  // Receives an alert for every stored event that opened a new issue or reopened a resolved
  // one, on the store writer's thread, so it must not block (notify::Notifier::Notify). Set it
  // before serving.
  void set_alert_sink(std::function<void(notify::Alert)> sink) { alert_sink_ = std::move(sink); }

 private:
  struct Job;
  // One attempt with bodies decoded up to `limit`; false when the body needs more and `last`
  // is false (Workers::BodyJob).
  bool Process(Job& job, uint64_t limit, bool last, const http::Respond& respond);
  // The keys named by the headers and the query, as (source, key); all must agree.
  static base::Result<std::vector<std::pair<std::string, std::string>>> HeaderKeys(
      const http::Request& req);
  // The key's entry when it may send to the project (blocking: it may reload the cache).
  base::Result<KeyInfo> CheckKey(int64_t project_id, const std::string& public_key);
  // What the head check says of `info` (null: the key is unknown) for a request to
  // `project_id`. On /envelope/ (not `legacy`) a key of another project is not refused here:
  // the envelope's dsn may name another key, which is a conflict (401), not a wrong project.
  static base::Status HeadKeyStatus(const KeyInfo* info, int64_t project_id,
                                    const std::string& public_key, bool legacy);
  base::Result<KeyInfo> Authenticate(const Job& job, const protocol::EnvelopeHeader* header);
  void StoreEnvelope(const KeyInfo& key, std::string_view body, const std::string& client_ip,
                     const http::Respond& respond);
  // `sent_at` is the envelope header's, which lets normalization correct a drifted clock.
  void StoreEvent(const KeyInfo& key, std::string_view json, const std::string& client_ip,
                  std::vector<store::Attachment> attachments,
                  std::optional<std::chrono::system_clock::time_point> sent_at,
                  const http::Respond& respond);

  // The User-Agent parser, compiled on first use on a worker (start-up does not wait for
  // uap-core's thousand regexes); null when the file could not be read.
  const event::UserAgentParser* UserAgents();

  const config::Config& config_;
  const std::string user_agent_regexes_;
  std::once_flag user_agents_once_;
  std::mutex user_agents_mu_;  // for readers that must not wait for the load (metrics)
  std::unique_ptr<event::UserAgentParser> user_agents_;  // set once, under user_agents_mu_
  KeyCache& keys_;
  store::EventWriter& writer_;
  Metrics& metrics_;
  Workers& workers_;
  std::function<void(notify::Alert)> alert_sink_;
};

}  // namespace ferry::server
