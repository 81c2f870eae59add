// ferry's HTTP surface: routes requests to the tunnel, health and metrics, adds CORS headers,
// counts and logs every answer. The http::Handler the server runs.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "http/types.h"
#include "server/cors.h"
#include "server/ingest.h"
#include "server/metrics.h"
#include "server/tunnel.h"
#include "web/api.h"

namespace ferry::server {

class Endpoints final : public http::Handler {
 public:
  // `tunnel`, `ingest` and `api` are null when their part is disabled.
  Endpoints(const config::Config& config, Tunnel* tunnel, Ingest* ingest, web::Api* api,
            Metrics& metrics);

  void Handle(http::IncomingRequest in, http::Respond respond) override;
  http::Response Reject(http::ReadFailure failure, std::string_view peer_ip) override;

  void set_ready(bool ready) { ready_ = ready; }

 private:
  bool IsTunnelPath(std::string_view path) const;

  const config::Config& config_;
  Tunnel* tunnel_;
  Ingest* ingest_;
  web::Api* api_;
  Metrics& metrics_;
  Cors cors_;
  std::atomic<bool> ready_{true};
};

}  // namespace ferry::server
