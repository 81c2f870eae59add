#include "server/endpoints.h"

#include <charconv>

#include "base/log.h"
#include "server/client_ip.h"
#include "server/http_status.h"

namespace ferry::server {

namespace bhttp = http::bhttp;

namespace {

constexpr std::string_view kLive = "/api/relay/healthcheck/live/";
constexpr std::string_view kReady = "/api/relay/healthcheck/ready/";
constexpr std::string_view kSpoolStatus = "/api/ferry/spool/";

// /api/<digits>/envelope/ or /api/<digits>/store/ (the built-in store's ingest endpoints):
// the project id, or 0 when `path` is not one. `*legacy` tells /store/.
int64_t IngestProject(std::string_view path, bool* legacy) {
  constexpr std::string_view kPrefix = "/api/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return 0;
  path.remove_prefix(kPrefix.size());
  int64_t id = 0;
  size_t digits = 0;
  while (digits < path.size() && digits < 18 && path[digits] >= '0' && path[digits] <= '9') {
    id = id * 10 + (path[digits++] - '0');
  }
  if (digits == 0) return 0;
  path.remove_prefix(digits);
  *legacy = path == "/store/" || path == "/store";
  if (*legacy || path == "/envelope/" || path == "/envelope") return id;
  return 0;
}

http::Response MethodNotAllowed(std::string_view allow) {
  auto res = http::JsonError(bhttp::status::method_not_allowed, "method not allowed");
  res.set(bhttp::field::allow, allow);
  return res;
}

http::Response Json(bhttp::status status, std::string body) {
  http::Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

}  // namespace

Endpoints::Endpoints(const config::Config& config, Tunnel* tunnel, Ingest* ingest, web::Api* api,
                     web::Ui* ui, Metrics& metrics)
    : config_(config),
      tunnel_(tunnel),
      ingest_(ingest),
      api_(api),
      ui_(ui),
      metrics_(metrics),
      cors_(config.tunnel.allowed_origins) {}

bool Endpoints::IsTunnelPath(std::string_view path) const {
  if (!tunnel_) return false;
  for (const auto& p : config_.tunnel.paths) {
    if (!p.empty() && p.back() == '*') {
      if (path.substr(0, p.size() - 1) == std::string_view(p).substr(0, p.size() - 1)) return true;
    } else if (path == p) {
      return true;
    }
  }
  return false;
}

std::string_view Endpoints::Route(std::string_view path, bool is_get, int64_t* project_id,
                                  bool* legacy) const {
  *project_id = IngestProject(path, legacy);
  // The store's own endpoints win over a catch-all tunnel path ("/*"); without a store, a
  // tunnel host forwards even /api/<id>/envelope/ posts, as the reference worker does.
  if (path == kLive || path == kReady) return "health";
  if (path == kSpoolStatus && spool_status_) return "spool";
  if (path == "/metrics" && is_get) return "metrics";
  if (api_ && web::Api::Matches(path)) return "api";
  // On an instance whose tunnel takes "/*", a post to "/" is still an SDK's envelope.
  if (ui_ && web::Ui::Matches(path) && (is_get || path != "/" || !IsTunnelPath(path))) {
    return "ui";
  }
  if (ingest_ && *project_id > 0) return "ingest";
  if (IsTunnelPath(path)) return "tunnel";
  if (*project_id > 0) return "ingest";
  if (path == "/metrics") return "metrics";
  return "other";
}

http::HeadVerdict Endpoints::CheckHead(const http::Request& head, std::string_view peer_ip) {
  if (!ingest_ || head.method() != bhttp::verb::post) return {};
  std::string_view target = head.target();
  std::string_view path = target.substr(0, target.find('?'));
  int64_t project_id = 0;
  bool legacy = false;
  const std::string_view route = Route(path, false, &project_id, &legacy);
  if (route == "ui") {
    // A form is a few fields: a body announced as larger is refused before it is read.
    uint64_t length = 0;
    auto declared = head[bhttp::field::content_length];
    if (!declared.empty() &&
        std::from_chars(declared.data(), declared.data() + declared.size(), length).ec ==
            std::errc() &&
        length > web::Ui::kMaxFormBytes) {
      http::HeadVerdict verdict;
      verdict.refusal =
          http::JsonError(bhttp::status::payload_too_large,
                          "form body exceeds " + std::to_string(web::Ui::kMaxFormBytes) + " bytes");
      return verdict;
    }
    return {};
  }
  if (route != "ingest") return {};
  // A refusal gets what every answer gets: CORS headers, a count, a debug line.
  auto decorate = [this, origin = std::string(head[bhttp::field::origin]), path = std::string(path),
                   peer = std::string(peer_ip)](http::Response& refusal) {
    cors_.Decorate(origin, refusal);
    metrics_.CountRequest("ingest", refusal.result_int(), std::chrono::nanoseconds(0), 0,
                          refusal.body().size());
    base::Log(base::LogLevel::kDebug, "request refused before its body",
              {{"path", path}, {"status", refusal.result_int()}, {"client", peer}});
  };
  http::HeadVerdict verdict = ingest_->CheckHead(project_id, legacy, head);
  if (verdict.refusal) decorate(*verdict.refusal);
  if (verdict.deferred) {
    verdict.deferred = [decorate,
                        inner = std::move(verdict.deferred)](http::HeadVerdict::Done done) {
      inner([decorate, done = std::move(done)](std::optional<http::Response> refusal) {
        if (refusal) decorate(*refusal);
        done(std::move(refusal));
      });
    };
  }
  return verdict;
}

void Endpoints::Handle(http::IncomingRequest in, http::Respond respond) {
  const auto method = in.request.method();
  std::string_view target = in.request.target();
  std::string path(target.substr(0, target.find('?')));
  const bool is_get = method == bhttp::verb::get || method == bhttp::verb::head;

  bool legacy = false;
  int64_t project_id = 0;
  const std::string route(Route(path, is_get, &project_id, &legacy));

  // Every answer passes through here: CORS headers, the request counter and the log line.
  // It also holds the request's memory lease, so the budget counts the body's bytes until
  // the request is answered (the handlers may keep the body as long as that).
  auto finish = [this, route, path, method, origin = std::string(in.request[bhttp::field::origin]),
                 peer = in.peer_ip, wire = in.wire_bytes, received = in.received, respond,
                 memory = in.memory](http::Response res) {
    cors_.Decorate(origin, res);
    auto elapsed = std::chrono::steady_clock::now() - received;
    metrics_.CountRequest(route, res.result_int(), elapsed, wire, res.body().size());
    if (base::LogEnabled(base::LogLevel::kDebug)) {
      base::Log(base::LogLevel::kDebug, "request",
                {{"method", std::string(bhttp::to_string(method))},
                 {"path", path},
                 {"status", res.result_int()},
                 {"ms", std::chrono::duration<double, std::milli>(elapsed).count()},
                 {"client", peer},
                 {"bytes_in", wire},
                 {"bytes_out", res.body().size()}});
    }
    respond(std::move(res));
  };

  if (route == "health") {
    if (!is_get) return finish(MethodNotAllowed("GET, HEAD"));
    if (path == kReady && ready_check_ && !ready_check_()) {
      return finish(Json(bhttp::status::service_unavailable, R"({"is_healthy":false})"));
    }
    return finish(Json(bhttp::status::ok, R"({"is_healthy":true})"));
  }
  if (route == "spool") {
    if (!is_get) return finish(MethodNotAllowed("GET, HEAD"));
    return finish(Json(bhttp::status::ok, spool_status_()));
  }
  if (route == "metrics") {
    if (!is_get) return finish(MethodNotAllowed("GET, HEAD"));
    http::Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics_.Render();
    return finish(std::move(res));
  }
  if (route == "tunnel" || route == "ingest") {
    if (method == bhttp::verb::options) {
      // The preflight carries its own CORS headers; Decorate must not add an expose list.
      auto res = cors_.Preflight(in.request[bhttp::field::origin]);
      auto elapsed = std::chrono::steady_clock::now() - in.received;
      metrics_.CountRequest(route, res.result_int(), elapsed, in.wire_bytes, 0);
      return respond(std::move(res));
    }
    if (method != bhttp::verb::post) return finish(MethodNotAllowed("POST, OPTIONS"));
    if (route == "ingest") {
      if (!ingest_) {
        return finish(ErrorResponse(
            base::Unavailable("the built-in store is disabled (store.enabled: false)")));
      }
      return ingest_->Handle(project_id, legacy, std::move(in), http::Respond(std::move(finish)));
    }
    return tunnel_->Handle(std::move(in), http::Respond(std::move(finish)));
  }
  if (route == "ui") {
    // Sign-in throttling counts the client, not the proxy in front of it.
    in.peer_ip = ClientIp(in, config_.server.trusted_proxies);
    return ui_->Handle(std::move(in), http::Respond(std::move(finish)));
  }
  if (route == "api") {
    if (method == bhttp::verb::options) {
      auto res = cors_.Preflight(in.request[bhttp::field::origin]);
      res.set(bhttp::field::access_control_allow_methods, "GET, PUT, OPTIONS");
      return finish(std::move(res));
    }
    return api_->Handle(std::move(in), http::Respond(std::move(finish)));
  }
  finish(http::JsonError(bhttp::status::not_found, "no such endpoint: " + path));
}

http::Response Endpoints::Reject(http::ReadFailure failure, std::string_view peer_ip) {
  http::Response res;
  switch (failure) {
    case http::ReadFailure::kNone:
    case http::ReadFailure::kBadRequest:
      res = http::JsonError(bhttp::status::bad_request, "malformed HTTP request");
      break;
    case http::ReadFailure::kObsFold:
      res = http::JsonError(bhttp::status::bad_request,
                            "malformed HTTP request: folded header line (obs-fold)");
      break;
    case http::ReadFailure::kChunkLineTooLong:
      res = http::JsonError(bhttp::status::bad_request,
                            "malformed HTTP request: chunk size line or extensions too long");
      break;
    case http::ReadFailure::kHeaderTooLarge:
      res = http::JsonError(bhttp::status::request_header_fields_too_large,
                            "request headers are too large");
      break;
    case http::ReadFailure::kTrailersTooLarge:
      res = http::JsonError(bhttp::status::request_header_fields_too_large,
                            "the trailer section of the chunked body is too large");
      break;
    case http::ReadFailure::kNotImplemented:
      res = http::JsonError(bhttp::status::not_implemented,
                            "transfer coding not implemented (only chunked is)");
      break;
    case http::ReadFailure::kOverBudget:
      res = ErrorResponse(
          base::Overloaded("too many request bodies in flight (limits.max_inflight_bytes); retry"));
      metrics_.CountRejected("over_budget");
      break;
    case http::ReadFailure::kBodyTooLarge:
      res = http::JsonError(bhttp::status::payload_too_large,
                            "body exceeds " + std::to_string(config_.limits.max_envelope_bytes) +
                                " bytes (limits.max_envelope_bytes)");
      metrics_.CountRejected("too_large");
      break;
    case http::ReadFailure::kPlainHttpToTls:
      res = http::JsonError(bhttp::status::bad_request,
                            "plain HTTP request sent to the HTTPS port; use https://");
      break;
  }
  metrics_.CountRequest("other", res.result_int(), std::chrono::nanoseconds(0), 0,
                        res.body().size());
  base::Log(base::LogLevel::kDebug, "request rejected",
            {{"status", res.result_int()}, {"client", std::string(peer_ip)}});
  return res;
}

}  // namespace ferry::server
