// The tunnel endpoint (DESIGN.md §2.4): decode the body, read the envelope header, remap the
// DSN, refuse what is not allowed, and deliver a copy to each target. In direct mode the
// client waits for the first target's answer and gets it unchanged.
//
// Life of an envelope through this file: Handle → Prepare (pure: decode, parse, remap,
// allow; every refusal is a Status) → Deliver (one upstream request per target) → the first
// target's answer, or 502/504, goes back through `respond`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "forward/upstream_client.h"
#include "http/types.h"
#include "protocol/dsn.h"
#include "server/metrics.h"
#include "server/remap_table.h"

namespace ferry::server {

// One copy of an envelope on its way to one target.
struct Delivery {
  std::string upstream;  // label for metrics and logs: the DSN's host[:port]
  bool local = false;    // for this server's own store: no HTTP hop
  protocol::Dsn dsn;     // the target DSN
  std::string client_ip;
  forward::Endpoint endpoint;
  forward::OutgoingRequest request;
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
  static base::Result<std::unique_ptr<Tunnel>> Create(const config::Config& config,
                                                      forward::UpstreamClient& client,
                                                      Metrics& metrics,
                                                      LocalStore* local = nullptr);

  void Handle(http::IncomingRequest in, http::Respond respond);

  // Everything up to the network: the deliveries for this request, or why there are none.
  base::Result<std::vector<Delivery>> Prepare(http::IncomingRequest& in) const;

 private:
  struct UpstreamOverride {
    std::string scheme, host;
    uint16_t port;
    std::string ca_file;
    std::chrono::milliseconds timeout, connect_timeout;
  };

  Tunnel(const config::Config& config, RemapTable remap, Allowlist allow,
         std::map<std::string, UpstreamOverride> overrides, forward::UpstreamClient& client,
         Metrics& metrics, LocalStore* local);

  forward::Endpoint EndpointFor(const protocol::Dsn& dsn) const;
  base::Status Check(const protocol::Dsn& dsn) const;

  const config::Config& config_;
  const RemapTable remap_;
  const Allowlist allow_;
  const std::map<std::string, UpstreamOverride> overrides_;
  forward::UpstreamClient& client_;
  Metrics& metrics_;
  LocalStore* local_;
};

// "https://host[:port]" parsed; ports default by scheme. Errors name the text.
base::Result<forward::Endpoint> ParseBaseUrl(std::string_view url);

}  // namespace ferry::server
