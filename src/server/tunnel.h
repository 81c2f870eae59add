// The tunnel endpoint (DESIGN.md §2.4): decode the body, read the envelope header, remap the
// DSN, refuse what is not allowed, and deliver a copy to each target.
//
// Life of an envelope through this file: Handle (a small body that decodes to at most 64 KiB
// stays on the I/O thread, the rest goes to the workers) → Prepare (pure: the first line is
// read and checked before anything else is decoded, then decode, parse, remap, allow; every
// refusal is a Status) → then, per target:
//  - direct mode: one upstream request; the first target's answer (or 502/504) goes back;
//  - durable mode: refused at once with 429 while a learned rate limit covers it, else pushed
//    to the spool (group commit) and answered 200 {"id"} once durable; the drainer delivers it
//    later, rebuilding the request with Resolve;
//  - this server's own store (either mode): handed to LocalStore, answered once stored.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "forward/drainer.h"
#include "forward/rate_limit_cache.h"
#include "forward/spool_writer.h"
#include "forward/upstream_client.h"
#include "http/types.h"
#include "protocol/dsn.h"
#include "protocol/envelope.h"
#include "server/metrics.h"
#include "server/remap_table.h"
#include "server/workers.h"
#include "spool/spool.h"

namespace ferry::server {

// One copy of an envelope on its way to one target.
struct Delivery {
  std::string upstream;  // label for metrics and logs: the DSN's host[:port]
  std::string queue;     // spool queue: scheme://host[:port] of the target DSN
  std::string rate_key;  // rate limits are kept per upstream project key
  bool local = false;    // for this server's own store: no HTTP hop
  std::string dsn_text;  // the target DSN as written into the header
  protocol::Dsn dsn;     // the target DSN
  std::string client_ip;
  std::string sentry_client;
  std::string user_agent;
  forward::Endpoint endpoint;
  forward::OutgoingRequest request;
};

// What durable delivery needs (DESIGN.md §2.4, `delivery: durable`).
struct DurableDelivery {
  forward::SpoolWriter* writer = nullptr;
  forward::RateLimitCache* limits = nullptr;
};

// This server's own store, as the tunnel sees it (implemented by server::Ingest).
class LocalStore {
 public:
  virtual ~LocalStore() = default;
  // `envelope` is decoded and its header already names `dsn`.
  virtual void Deliver(const protocol::Dsn& dsn, std::shared_ptr<const std::string> envelope,
                       std::string client_ip, http::Respond respond) = 0;
};

class Tunnel {
 public:
  // Errors: a bad `upstreams` entry or remap target, naming the key.
  // `local` may be null when the built-in store is disabled.
  // `durable` is used when tunnel.delivery is durable and must then be set.
  // Without `workers` every request is done on the calling thread (tests).
  static base::Result<std::unique_ptr<Tunnel>> Create(const config::Config& config,
                                                      forward::UpstreamClient& client,
                                                      Metrics& metrics, LocalStore* local = nullptr,
                                                      DurableDelivery durable = {},
                                                      Workers* workers = nullptr);

  // At most this much decoding is done on the I/O thread (see Handle).
  static constexpr uint64_t kInlineDecodeBytes = 64 * 1024;

  void Handle(http::IncomingRequest in, http::Respond respond);

  // Everything up to the network: the deliveries for this request, or why there are none.
  base::Result<std::vector<Delivery>> Prepare(http::IncomingRequest& in) const;
  // The same with the body decoded up to `limit`; `last` is false for an attempt that may be
  // redone with a higher limit (Workers::BodyJob), which then counts no bomb.
  base::Result<std::vector<Delivery>> Prepare(http::IncomingRequest& in, uint64_t limit,
                                              bool last) const;

  // A spooled delivery made ready to send (for the drainer): the request is rebuilt from the
  // entry's metadata with the current upstream settings.
  base::Result<forward::ResolvedDelivery> Resolve(const spool::SpoolEntry& entry) const;

 private:
  struct UpstreamOverride {
    std::string scheme, host;
    uint16_t port;
    std::string ca_file;
    std::chrono::milliseconds timeout, connect_timeout;
  };

  // Where an envelope goes: its DSN as sent and the targets after remap, each one allowed.
  struct Routing {
    std::string client_dsn_text;
    protocol::Dsn client_dsn;
    const std::vector<RemapTarget>* remapped = nullptr;  // null: the client's DSN itself
    size_t size() const { return remapped ? remapped->size() : 1; }
    const protocol::Dsn& target(size_t i) const {
      return remapped ? (*remapped)[i].dsn : client_dsn;
    }
  };

  Tunnel(const config::Config& config, RemapTable remap, Allowlist allow,
         std::map<std::string, UpstreamOverride> overrides, forward::UpstreamClient& client,
         Metrics& metrics, LocalStore* local, DurableDelivery durable, Workers* workers);

  base::Result<Routing> Route(const protocol::EnvelopeHeader& header) const;
  // One attempt (Workers::BodyJob): false when the body needs a higher limit than `limit`.
  bool Process(http::IncomingRequest& in, uint64_t limit, bool last, const http::Respond& respond);

  // Fills endpoint, target, headers and labels of `d` from its dsn and client fields.
  void Address(Delivery& d) const;
  void SendDirect(std::vector<Delivery>& deliveries, const http::Respond& respond);
  void SpoolAndAnswer(std::vector<Delivery>& deliveries, std::string_view event_id,
                      const std::vector<std::string>& categories, const http::Respond& respond);

  // `host_port` is dsn.HostPort(), which the caller has at hand.
  forward::Endpoint EndpointFor(const protocol::Dsn& dsn, const std::string& host_port) const;
  base::Status Check(const protocol::Dsn& dsn) const;

  const config::Config& config_;
  const RemapTable remap_;
  const Allowlist allow_;
  const std::map<std::string, UpstreamOverride> overrides_;
  forward::UpstreamClient& client_;
  Metrics& metrics_;
  LocalStore* local_;
  DurableDelivery durable_;
  Workers* workers_;
};

// "https://host[:port]" parsed; ports default by scheme. Errors name the text.
base::Result<forward::Endpoint> ParseBaseUrl(std::string_view url);

}  // namespace ferry::server
