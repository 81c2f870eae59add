#include "server/tunnel.h"

#include <boost/url/parse.hpp>
#include <optional>

#include "base/log.h"
#include "base/strings.h"
#include "protocol/auth.h"
#include "protocol/decompress.h"
#include "protocol/envelope.h"
#include "server/client_ip.h"
#include "server/http_status.h"

namespace ferry::server {

namespace bhttp = http::bhttp;

namespace {

std::string_view RejectReason(base::Code code) {
  switch (code) {
    case base::Code::kInvalidArgument:
      return "invalid";
    case base::Code::kTooLarge:
      return "too_large";
    case base::Code::kPermissionDenied:
      return "not_allowed";
    case base::Code::kUnavailable:
      return "store_unavailable";
    default:
      return "other";
  }
}

// The SDK's name and version, for the sentry_client field of ferry's own auth header.
std::string SentryClient(const http::Request& req) {
  for (auto field : {bhttp::field::unknown, bhttp::field::authorization}) {
    auto value = field == bhttp::field::unknown ? req["X-Sentry-Auth"] : req[field];
    if (value.empty()) continue;
    auto auth = protocol::ParseAuthHeader(value);
    if (auth.ok() && !auth->sentry_client.empty()) return auth->sentry_client;
  }
  auto target = std::string_view(req.target());
  if (auto q = target.find('?'); q != std::string_view::npos) {
    if (auto client = protocol::QueryParam(target.substr(q + 1), "sentry_client")) return *client;
  }
  return std::string(req[bhttp::field::user_agent]);
}

http::Response FromUpstream(forward::UpstreamResponse up) {
  http::Response res{static_cast<bhttp::status>(up.status), 11};
  if (!up.content_type.empty()) res.set(bhttp::field::content_type, up.content_type);
  if (!up.retry_after.empty()) res.set(bhttp::field::retry_after, up.retry_after);
  if (!up.rate_limits.empty()) res.set("X-Sentry-Rate-Limits", up.rate_limits);
  res.body() = std::move(up.body);
  return res;
}

}  // namespace

base::Result<forward::Endpoint> ParseBaseUrl(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return base::InvalidArgument("\"" + std::string(text) + "\" is not a URL");
  forward::Endpoint endpoint;
  endpoint.scheme = base::AsciiLower(url->scheme());
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return base::InvalidArgument("\"" + std::string(text) + "\": scheme must be http or https");
  }
  endpoint.host = base::AsciiLower(url->host_address());
  if (endpoint.host.empty())
    return base::InvalidArgument("\"" + std::string(text) + "\" has no host");
  endpoint.port = url->has_port() ? url->port_number() : (endpoint.scheme == "https" ? 443 : 80);
  if (url->has_port() && endpoint.port == 0) {
    return base::InvalidArgument("\"" + std::string(text) + "\" has an invalid port");
  }
  return endpoint;
}

base::Result<std::unique_ptr<Tunnel>> Tunnel::Create(const config::Config& config,
                                                     forward::UpstreamClient& client,
                                                     Metrics& metrics, LocalStore* local) {
  auto remap = RemapTable::Build(config.tunnel.remap);
  if (!remap.ok()) return remap.status();
  auto own = ParseBaseUrl(config.server.public_url);
  if (!own.ok()) return base::InvalidArgument("server.public_url: " + own.status().detail());
  Allowlist allow(config.tunnel.allowed_hosts, config.tunnel.allowed_projects, own->host,
                  own->port);
  std::map<std::string, UpstreamOverride> overrides;
  for (const auto& [host, up] : config.upstreams) {
    // An empty url keeps the DSN's own address and overrides only trust and timeouts.
    forward::Endpoint base;
    if (!up.url.empty()) {
      auto parsed = ParseBaseUrl(up.url);
      if (!parsed.ok()) {
        return base::InvalidArgument("upstreams." + host + ".url: " + parsed.status().detail());
      }
      base = std::move(*parsed);
    }
    auto timeout = up.timeout_ms ? up.timeout_ms : config.limits.request_timeout_ms;
    overrides.emplace(host, UpstreamOverride{base.scheme, base.host, base.port, up.ca_file,
                                             std::chrono::milliseconds(timeout),
                                             std::chrono::milliseconds(up.connect_timeout_ms)});
  }
  return std::unique_ptr<Tunnel>(new Tunnel(config, std::move(*remap), std::move(allow),
                                            std::move(overrides), client, metrics, local));
}

Tunnel::Tunnel(const config::Config& config, RemapTable remap, Allowlist allow,
               std::map<std::string, UpstreamOverride> overrides, forward::UpstreamClient& client,
               Metrics& metrics, LocalStore* local)
    : config_(config),
      remap_(std::move(remap)),
      allow_(std::move(allow)),
      overrides_(std::move(overrides)),
      client_(client),
      metrics_(metrics),
      local_(local) {}

forward::Endpoint Tunnel::EndpointFor(const protocol::Dsn& dsn) const {
  auto it = overrides_.find(dsn.HostPort());
  if (it == overrides_.end()) it = overrides_.find(dsn.host);
  forward::Endpoint endpoint;
  endpoint.scheme = dsn.scheme;
  endpoint.host = dsn.host;
  if (endpoint.host.size() > 2 && endpoint.host.front() == '[') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  endpoint.port = dsn.EffectivePort();
  endpoint.timeout = std::chrono::milliseconds(config_.limits.request_timeout_ms);
  if (it != overrides_.end()) {
    const auto& o = it->second;
    if (!o.scheme.empty()) {
      endpoint.scheme = o.scheme;
      endpoint.host = o.host;
      endpoint.port = o.port;
    }
    endpoint.ca_file = o.ca_file;
    endpoint.timeout = o.timeout;
    endpoint.connect_timeout = o.connect_timeout;
  }
  return endpoint;
}

base::Status Tunnel::Check(const protocol::Dsn& dsn) const {
  if (allow_.IsOwn(dsn)) {
    if (local_) return base::Status::Ok();
    return base::Unavailable(
        "the DSN names this server's built-in store, which is disabled (store.enabled)");
  }
  if (!allow_.AllowsHost(dsn)) {
    return base::PermissionDenied("DSN host \"" + dsn.HostPort() +
                                  "\" is not in tunnel.allowed_hosts");
  }
  if (!allow_.AllowsProject(dsn)) {
    return base::PermissionDenied("project " + dsn.project_id + " on \"" + dsn.HostPort() +
                                  "\" is not in tunnel.allowed_projects");
  }
  return base::Status::Ok();
}

base::Result<std::vector<Delivery>> Tunnel::Prepare(http::IncomingRequest& in) const {
  auto& req = in.request;
  const uint64_t max = config_.limits.max_envelope_bytes;
  auto codings = protocol::ParseContentEncoding(req[bhttp::field::content_encoding]);
  if (!codings.ok()) return codings.status();
  std::shared_ptr<const std::string> body;
  if (codings->empty()) {
    if (req.body().size() > max) {
      return base::TooLarge("envelope exceeds " + std::to_string(max) + " bytes");
    }
    body = std::make_shared<const std::string>(std::move(req.body()));
  } else {
    auto decoded = protocol::DecodeBody(*codings, req.body(), max);
    if (!decoded.ok()) return decoded.status();
    body = std::make_shared<const std::string>(std::move(*decoded));
  }

  auto header = protocol::ParseEnvelopeHeader(*body);
  if (!header.ok()) return header.status();
  const auto* dsn_field = header->Find("dsn");
  if (dsn_field == nullptr) return base::InvalidArgument("envelope header has no \"dsn\"");
  if (dsn_field->kind != protocol::JsonKind::kString) {
    return base::InvalidArgument("envelope header \"dsn\" is not a string");
  }
  auto client_dsn = protocol::ParseDsn(dsn_field->string_value);
  if (!client_dsn.ok()) {
    return base::InvalidArgument("envelope header \"dsn\" is invalid: " +
                                 client_dsn.status().detail());
  }

  const auto* remapped = remap_.Find(dsn_field->string_value);
  std::vector<const protocol::Dsn*> targets;
  if (remapped) {
    for (const auto& t : *remapped) targets.push_back(&t.dsn);
  } else {
    targets.push_back(&*client_dsn);
  }
  for (const auto* dsn : targets) FERRY_RETURN_IF_ERROR(Check(*dsn));

  const std::string client_ip = ClientIp(in, config_.server.trusted_proxies);
  const std::string sentry_client = SentryClient(req);
  const std::string user_agent(req[bhttp::field::user_agent]);
  std::vector<Delivery> deliveries;
  for (size_t i = 0; i < targets.size(); ++i) {
    const protocol::Dsn& dsn = *targets[i];
    Delivery d;
    d.upstream = dsn.HostPort();
    d.local = allow_.IsOwn(dsn);
    d.dsn = dsn;
    d.client_ip = client_ip;
    d.endpoint = EndpointFor(dsn);
    d.request.target = dsn.path + "/api/" + dsn.project_id + "/envelope/";
    d.request.host_header = dsn.HostPort();
    std::string auth = "Sentry sentry_version=7, sentry_key=" + dsn.public_key;
    if (!dsn.secret.empty()) auth += ", sentry_secret=" + dsn.secret;
    if (!sentry_client.empty()) auth += ", sentry_client=" + sentry_client;
    d.request.headers = {{"Content-Type", "application/x-sentry-envelope"},
                         {"X-Sentry-Auth", std::move(auth)},
                         {"X-Forwarded-For", client_ip},
                         {"X-Sentry-Forwarded-For", client_ip}};
    if (!user_agent.empty()) d.request.headers.emplace_back("User-Agent", user_agent);
    if (remapped) {
      protocol::HeaderRewrite rewrite;
      rewrite.dsn = (*remapped)[i].text;
      rewrite.trace_public_key = dsn.public_key;
      d.request.body = std::make_shared<const std::string>(
          protocol::RewriteEnvelopeHeader(*body, *header, rewrite));
    } else {
      d.request.body = body;
    }
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

void Tunnel::Handle(http::IncomingRequest in, http::Respond respond) {
  auto deliveries = Prepare(in);
  if (!deliveries.ok()) {
    metrics_.CountRejected(RejectReason(deliveries.status().code()));
    respond(ErrorResponse(deliveries.status()));
    return;
  }
  for (size_t i = 0; i < deliveries->size(); ++i) {
    auto& d = (*deliveries)[i];
    // Only the first target answers the client; the other copies complete on their own.
    std::optional<http::Respond> reply;
    if (i == 0) reply = respond;
    if (d.local) {
      local_->Deliver(d.dsn, d.request.body, d.client_ip,
                      http::Respond([this, reply](http::Response res) {
                        metrics_.CountForward("local", res.result_int());
                        if (reply) (*reply)(std::move(res));
                      }));
      continue;
    }
    client_.Send(d.endpoint, std::move(d.request),
                 [this, upstream = d.upstream, reply](base::Result<forward::UpstreamResponse> r) {
                   if (!r.ok()) {
                     auto status = HttpStatusFor(r.status().code());
                     metrics_.CountForward(upstream, static_cast<unsigned>(status));
                     base::Log(base::LogLevel::kWarn, "upstream failed",
                               {{"upstream", upstream}, {"error", r.status().detail()}});
                     if (reply) (*reply)(ErrorResponse(r.status()));
                     return;
                   }
                   metrics_.CountForward(upstream, r->status);
                   if (reply) (*reply)(FromUpstream(std::move(*r)));
                 });
  }
}

}  // namespace ferry::server
