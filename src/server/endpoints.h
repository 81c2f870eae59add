// ferry's HTTP surface: routes requests to the tunnel, health and metrics, adds CORS headers,
// counts and logs every answer. The http::Handler the server runs.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "http/types.h"
#include "server/cors.h"
#include "server/ingest.h"
#include "server/metrics.h"
#include "server/tunnel.h"
#include "web/api.h"
#include "web/ui.h"

namespace ferry::server {

class Endpoints final : public http::Handler {
 public:
  // `tunnel`, `ingest`, `api` and `ui` are null when their part is disabled.
  Endpoints(const config::Config& config, Tunnel* tunnel, Ingest* ingest, web::Api* api,
            web::Ui* ui, Metrics& metrics);

  void Handle(http::IncomingRequest in, http::Respond respond) override;
  http::Response Reject(http::ReadFailure failure, std::string_view peer_ip) override;
  // Ingest requests with a key in their headers are authenticated here, before their body.
  http::HeadVerdict CheckHead(const http::Request& head, std::string_view peer_ip) override;

  // /ready/ answers 503 while `check` returns false. Called on I/O threads: must not block.
  void set_ready_check(std::function<bool()> check) { ready_check_ = std::move(check); }
  // GET /api/ferry/spool/ answers this JSON (the spool's totals and per-upstream state; what
  // `ferry spool status` prints while the server holds the spool). Must not block.
  void set_spool_status(std::function<std::string()> status) { spool_status_ = std::move(status); }

 private:
  bool IsTunnelPath(std::string_view path) const;
  // "health", "spool", "metrics", "api", "ui", "ingest", "tunnel" or "other"; for ingest paths also
  // the project id from the path and whether it is the legacy /store/ endpoint.
  std::string_view Route(std::string_view path, bool is_get, int64_t* project_id,
                         bool* legacy) const;

  const config::Config& config_;
  Tunnel* tunnel_;
  Ingest* ingest_;
  web::Api* api_;
  web::Ui* ui_;
  Metrics& metrics_;
  Cors cors_;
  std::function<bool()> ready_check_;
  std::function<std::string()> spool_status_;
};

}  // namespace ferry::server
