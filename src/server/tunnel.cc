#include "server/tunnel.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <mutex>
#include <optional>

#include "base/log.h"
#include "base/strings.h"
#include "protocol/auth.h"
#include "protocol/decompress.h"
#include "protocol/envelope.h"
#include "protocol/rate_limits.h"
#include "server/client_ip.h"
#include "server/http_status.h"
#include "server/request_body.h"

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
    case base::Code::kOverloaded:
      return "over_budget";
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
                                                     Metrics& metrics, LocalStore* local,
                                                     DurableDelivery durable, Workers* workers) {
  if (config.tunnel.delivery == config::Delivery::kDurable &&
      (durable.writer == nullptr || durable.limits == nullptr)) {
    return base::Internal("durable delivery needs a spool");
  }
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
                                            std::move(overrides), client, metrics, local, durable,
                                            workers));
}

Tunnel::Tunnel(const config::Config& config, RemapTable remap, Allowlist allow,
               std::map<std::string, UpstreamOverride> overrides, forward::UpstreamClient& client,
               Metrics& metrics, LocalStore* local, DurableDelivery durable, Workers* workers)
    : config_(config),
      remap_(std::move(remap)),
      allow_(std::move(allow)),
      overrides_(std::move(overrides)),
      client_(client),
      metrics_(metrics),
      local_(local),
      durable_(durable),
      workers_(workers) {}

forward::Endpoint Tunnel::EndpointFor(const protocol::Dsn& dsn,
                                      const std::string& host_port) const {
  auto it = overrides_.find(host_port);
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

void Tunnel::Address(Delivery& d) const {
  const protocol::Dsn& dsn = d.dsn;
  d.upstream = dsn.HostPort();
  d.queue = dsn.scheme + "://" + d.upstream;
  d.rate_key = d.upstream + "/" + dsn.public_key;
  d.endpoint = EndpointFor(dsn, d.upstream);
  d.request.target = dsn.path + "/api/" + dsn.project_id + "/envelope/";
  d.request.host_header = d.upstream;
  std::string auth = "Sentry sentry_version=7, sentry_key=" + dsn.public_key;
  if (!dsn.secret.empty()) auth += ", sentry_secret=" + dsn.secret;
  if (!d.sentry_client.empty()) auth += ", sentry_client=" + d.sentry_client;
  d.request.headers = {{"Content-Type", "application/x-sentry-envelope"},
                       {"X-Sentry-Auth", std::move(auth)},
                       {"X-Forwarded-For", d.client_ip},
                       {"X-Sentry-Forwarded-For", d.client_ip}};
  if (!d.user_agent.empty()) d.request.headers.emplace_back("User-Agent", d.user_agent);
}

base::Result<Tunnel::Routing> Tunnel::Route(const protocol::EnvelopeHeader& header) const {
  const auto* dsn_field = header.Find("dsn");
  if (dsn_field == nullptr) return base::InvalidArgument("envelope header has no \"dsn\"");
  if (dsn_field->kind != protocol::JsonKind::kString) {
    return base::InvalidArgument("envelope header \"dsn\" is not a string");
  }
  auto client_dsn = protocol::ParseDsn(dsn_field->string_value);
  if (!client_dsn.ok()) {
    return base::InvalidArgument("envelope header \"dsn\" is invalid: " +
                                 client_dsn.status().detail());
  }
  Routing routing;
  routing.client_dsn_text = dsn_field->string_value;
  routing.client_dsn = std::move(*client_dsn);
  routing.remapped = remap_.Find(routing.client_dsn_text);
  for (size_t i = 0; i < routing.size(); ++i) FERRY_RETURN_IF_ERROR(Check(routing.target(i)));
  return routing;
}

base::Result<std::vector<Delivery>> Tunnel::Prepare(http::IncomingRequest& in) const {
  return Prepare(in, config_.limits.max_envelope_bytes, true);
}

base::Result<std::vector<Delivery>> Tunnel::Prepare(http::IncomingRequest& in, uint64_t limit,
                                                    bool last) const {
  auto& req = in.request;
  auto codings = protocol::ParseContentEncoding(req[bhttp::field::content_encoding]);
  if (!codings.ok()) return codings.status();
  if (!codings->empty()) {
    // Whether the envelope may pass at all is decided by its first line, which is decoded
    // before the rest: a refused DSN costs no decoding.
    auto line = DecodeFirstLine(in, *codings, limit);
    if (!line.ok()) return line.status();
    auto header = protocol::ParseEnvelopeHeader(*line);
    if (!header.ok()) return header.status();
    FERRY_RETURN_IF_ERROR(Route(*header).status());
  }
  auto decoded = DecodeRequestBody(in, *codings, limit, metrics_, /*count_bomb=*/last);
  if (!decoded.ok()) return decoded.status();
  auto body = std::make_shared<const std::string>(std::move(*decoded));

  auto header = protocol::ParseEnvelopeHeader(*body);
  if (!header.ok()) return header.status();
  auto routing = Route(*header);
  if (!routing.ok()) return routing.status();

  const std::string client_ip = ClientIp(in, config_.server.trusted_proxies);
  const std::string sentry_client = SentryClient(req);
  const std::string user_agent(req[bhttp::field::user_agent]);
  std::vector<Delivery> deliveries;
  for (size_t i = 0; i < routing->size(); ++i) {
    Delivery d;
    d.dsn = routing->target(i);
    d.dsn_text = routing->remapped ? (*routing->remapped)[i].text : routing->client_dsn_text;
    d.client_ip = client_ip;
    d.sentry_client = sentry_client;
    d.user_agent = user_agent;
    d.local = allow_.IsOwn(d.dsn);
    Address(d);
    if (routing->remapped) {
      protocol::HeaderRewrite rewrite;
      rewrite.dsn = d.dsn_text;
      rewrite.trace_public_key = d.dsn.public_key;
      d.request.prefix = protocol::RewriteHeaderLine(*header, rewrite);
      d.request.body_offset = header->line.size();
    }
    d.request.body = body;
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

void Tunnel::Handle(http::IncomingRequest in, http::Respond respond) {
  const uint64_t max = config_.limits.max_envelope_bytes;
  const uint64_t wire = in.request.body().size();
  const bool coded = !in.request[bhttp::field::content_encoding].empty();
  // A small body costs no more than its header scan, and a small compressed one a few
  // microseconds of decoding when it stays small: both are done here, on the I/O thread. What
  // decodes past kInlineDecodeBytes, or is big, is done (again) on the workers.
  if (workers_ == nullptr || (!coded && wire <= Workers::kLightBodyBytes)) {
    Process(in, max, true, respond);
    return;
  }
  if (coded && wire <= kInlineDecodeBytes) {
    const uint64_t limit = std::min(max, kInlineDecodeBytes);
    if (Process(in, limit, limit == max, respond)) return;
  }
  auto job = std::make_shared<http::IncomingRequest>(std::move(in));
  workers_->RunBodyJob(wire, max, [this, job, respond](uint64_t limit, bool last) {
    return Process(*job, limit, last, respond);
  });
}

bool Tunnel::Process(http::IncomingRequest& in, uint64_t limit, bool last,
                     const http::Respond& respond) {
  auto deliveries = Prepare(in, limit, last);
  if (!deliveries.ok()) {
    if (deliveries.status().code() == base::Code::kTooLarge && !last) return false;
    metrics_.CountRejected(RejectReason(deliveries.status().code()));
    respond(ErrorResponse(deliveries.status()));
    return true;
  }
  if (config_.tunnel.delivery != config::Delivery::kDurable) {
    SendDirect(*deliveries, respond);
    return true;
  }
  // The envelope's item categories decide whether a learned rate limit covers it, and its
  // event id is the answer; both come from the body every copy shares.
  const std::string& body = *deliveries->front().request.body;
  std::vector<std::string> categories;
  std::string event_id;
  if (auto envelope = protocol::ParseEnvelope(body); envelope.ok()) {
    for (const auto& item : envelope->items) {
      std::string c(protocol::ItemCategory(item.type));
      if (std::find(categories.begin(), categories.end(), c) == categories.end()) {
        categories.push_back(std::move(c));
      }
    }
    if (const auto* id = envelope->header.Find("event_id");
        id && id->kind == protocol::JsonKind::kString) {
      event_id = id->string_value;
    }
  }
  SpoolAndAnswer(*deliveries, event_id, categories, respond);
  return true;
}

void Tunnel::SendDirect(std::vector<Delivery>& deliveries, const http::Respond& respond) {
  for (size_t i = 0; i < deliveries.size(); ++i) {
    auto& d = deliveries[i];
    // Only the first target answers the client; the other copies complete on their own.
    std::optional<http::Respond> reply;
    if (i == 0) reply = respond;
    if (d.local) {
      local_->Deliver(d.dsn, d.request.WholeBody(), d.client_ip,
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

namespace {

// Collects the outcomes of one durable request (a spool push and local deliveries) and answers
// once all are in: a failure wins (nothing is answered 200 that is not durable), else the
// first target's answer.
class DurableAnswer {
 public:
  DurableAnswer(int parts, http::Respond respond) : pending_(parts), respond_(std::move(respond)) {}

  void Part(bool first_target, http::Response res, bool failure) {
    http::Response out;
    {
      std::lock_guard lock(mu_);
      if (failure && !failure_) failure_ = res;
      if (first_target) first_ = std::move(res);
      if (--pending_ > 0) return;
      out = failure_ ? std::move(*failure_) : first_ ? std::move(*first_) : EventIdResponse("");
    }
    respond_(std::move(out));
  }

 private:
  std::mutex mu_;
  int pending_;                            // guarded by mu_
  std::optional<http::Response> first_;    // guarded by mu_
  std::optional<http::Response> failure_;  // guarded by mu_
  http::Respond respond_;
};

// The spool record's metadata: what Resolve needs to rebuild the request later.
std::string EncodeMeta(const Delivery& d) {
  return "{\"dsn\":" + base::JsonQuote(d.dsn_text) + ",\"ip\":" + base::JsonQuote(d.client_ip) +
         ",\"client\":" + base::JsonQuote(d.sentry_client) +
         ",\"ua\":" + base::JsonQuote(d.user_agent) + "}";
}

}  // namespace

void Tunnel::SpoolAndAnswer(std::vector<Delivery>& deliveries, std::string_view event_id,
                            const std::vector<std::string>& categories,
                            const http::Respond& respond) {
  // While the upstream of the client's copy (the first target) rate-limits this kind of data,
  // the client is told so, with the upstream's own headers, and nothing is spooled.
  const Delivery& first = deliveries.front();
  if (!first.local) {
    if (auto refusal = durable_.limits->Check(first.rate_key, categories)) {
      metrics_.CountRejected("rate_limited");
      auto res = http::JsonError(bhttp::status::too_many_requests, "rate limited by the upstream");
      res.set(bhttp::field::retry_after, std::to_string(refusal->retry_after_s));
      res.set("X-Sentry-Rate-Limits", refusal->rate_limits);
      return respond(std::move(res));
    }
  }
  std::vector<spool::SpoolRecord> records;
  std::vector<size_t> locals;
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const auto& d = deliveries[i];
    if (d.local) {
      locals.push_back(i);
    } else if (i > 0 && durable_.limits->Check(d.rate_key, categories)) {
      metrics_.CountDropped(d.upstream, "rate_limited", 1);  // that upstream would drop it
    } else {
      records.push_back({d.queue, EncodeMeta(d), std::string(d.request.prefix)});
      records.back().body.append(d.request.body_rest());
    }
  }
  const bool first_spooled = !first.local;
  auto answer = std::make_shared<DurableAnswer>(
      static_cast<int>(locals.size()) + (records.empty() ? 0 : 1), respond);
  if (!records.empty()) {
    durable_.writer->Push(std::move(records), [this, answer, id = std::string(event_id),
                                               first_spooled](base::Status st) {
      if (!st.ok()) {
        metrics_.CountRejected("spool_unavailable");
        base::Log(base::LogLevel::kWarn, "cannot spool envelope", {{"error", st.detail()}});
      }
      answer->Part(first_spooled, st.ok() ? EventIdResponse(id) : ErrorResponse(st), !st.ok());
    });
  }
  for (size_t i : locals) {
    auto& d = deliveries[i];
    local_->Deliver(d.dsn, d.request.WholeBody(), d.client_ip,
                    http::Respond([this, answer, is_first = i == 0](http::Response r) {
                      metrics_.CountForward("local", r.result_int());
                      answer->Part(is_first, std::move(r), false);
                    }));
  }
}

base::Result<forward::ResolvedDelivery> Tunnel::Resolve(const spool::SpoolEntry& entry) const {
  auto fields = protocol::ScanJsonObject(entry.record.meta);
  if (!fields.ok()) return base::InvalidArgument("spool metadata is not JSON");
  auto get = [&](std::string_view key) {
    const auto* f = protocol::FindField(*fields, key);
    return f && f->kind == protocol::JsonKind::kString ? f->string_value : std::string();
  };
  Delivery d;
  d.dsn_text = get("dsn");
  auto dsn = protocol::ParseDsn(d.dsn_text);
  if (!dsn.ok()) return base::InvalidArgument("spooled DSN: " + dsn.status().detail());
  d.dsn = std::move(*dsn);
  d.client_ip = get("ip");
  d.sentry_client = get("client");
  d.user_agent = get("ua");
  Address(d);
  forward::ResolvedDelivery out;
  out.endpoint = std::move(d.endpoint);
  out.request = std::move(d.request);
  out.request.body = std::make_shared<const std::string>(entry.record.body);
  out.label = std::move(d.upstream);
  out.rate_key = std::move(d.rate_key);
  return out;
}

}  // namespace ferry::server
