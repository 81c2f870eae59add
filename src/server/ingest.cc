#include "server/ingest.h"

#include <malloc.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "base/log.h"
#include "base/strings.h"
#include "event/grouping.h"
#include "event/timestamp.h"
#include "protocol/auth.h"
#include "protocol/decompress.h"
#include "server/client_ip.h"
#include "server/http_status.h"
#include "server/request_body.h"
#include "store/payload_codec.h"

namespace ferry::server {

namespace bhttp = http::bhttp;

struct Ingest::Job {
  int64_t project_id = 0;
  bool legacy = false;
  http::IncomingRequest in;
  std::string client_ip;
};

namespace {

int64_t ToMillis(std::chrono::system_clock::time_point tp) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
}

// The item categories Sentry counts, for what the store accepts without keeping as events.
std::string_view CountCategory(std::string_view type) {
  if (type == "transaction") return "transaction";
  if (type == "session" || type == "sessions") return "session";
  if (type == "client_report") return "client_report";
  if (type == "user_report" || type == "feedback") return "user_report";
  if (type == "attachment") return "attachment";
  return "dropped";
}

std::string FieldString(const std::vector<protocol::JsonField>& fields, std::string_view key) {
  const auto* f = protocol::FindField(fields, key);
  return f && f->kind == protocol::JsonKind::kString ? f->string_value : std::string();
}

std::string MetadataJson(const event::Metadata& m) {
  std::string out = "{";
  for (auto [key, value] : {std::pair{"type", &m.type}, std::pair{"value", &m.value},
                            std::pair{"filename", &m.filename}, std::pair{"function", &m.function},
                            std::pair{"title", &m.title}}) {
    if (value->empty()) continue;
    if (out.size() > 1) out += ',';
    (out += '"') += key;  // the keys above need no escaping
    base::AppendJsonEscaped(out += "\":\"", *value);
    out += '"';
  }
  out += '}';
  return out;
}

store::EventRecord ToRecord(int64_t project_id, event::NormalizedEvent ev,
                            const event::Grouping& grouping) {
  store::EventRecord r;
  r.project_id = project_id;
  r.event_id = ev.event_id;
  r.timestamp_ms = ToMillis(ev.timestamp);
  r.received_ms = ToMillis(ev.received);
  r.level = std::string(event::LevelName(ev.level));
  r.platform = ev.platform;
  r.release = ev.release;
  r.environment = ev.environment;
  r.message = ev.message;
  r.title = ev.title;
  r.culprit = ev.culprit;
  r.type = ev.type;
  r.metadata_json = MetadataJson(ev.metadata);
  r.grouping_hash = grouping.hash;
  r.grouping_method = grouping.method;
  r.grouping_components = grouping.components;
  for (auto& kv : ev.tags) r.tags.emplace_back(std::move(kv.key), std::move(kv.value));
  // Compressed here, on the worker: the store's single writer thread only copies bytes.
  r.payload_compressed = store::CompressPayload(ev.normalized_json);
  return r;
}

}  // namespace

Ingest::Ingest(const config::Config& config, KeyCache& keys, store::EventWriter& writer,
               Metrics& metrics, Workers& workers, std::string user_agent_regexes)
    : config_(config),
      user_agent_regexes_(std::move(user_agent_regexes)),
      keys_(keys),
      writer_(writer),
      metrics_(metrics),
      workers_(workers) {
  auto stat = [this](uint64_t event::UserAgentStats::*field) {
    return [this, field] {
      // Read without forcing the load: before the first event there is nothing to count.
      std::lock_guard lock(user_agents_mu_);
      return user_agents_ ? static_cast<double>(user_agents_->stats().*field) : 0.0;
    };
  };
  metrics_.AddCounter("ferry_user_agent_cache_hits_total",
                      "Events whose User-Agent was parsed before (served from the cache)",
                      stat(&event::UserAgentStats::hits));
  metrics_.AddCounter("ferry_user_agent_cache_misses_total",
                      "Events whose User-Agent had to be matched against the regexes",
                      stat(&event::UserAgentStats::misses));
}

const event::UserAgentParser* Ingest::UserAgents() {
  std::call_once(user_agents_once_, [this] {
    auto loaded = event::UserAgentParser::Load(user_agent_regexes_);
    if (!loaded.ok()) {
      base::Log(base::LogLevel::kWarn,
                "no User-Agent regexes: events get no browser or os context from their "
                "User-Agent (install Debian's uap-core)",
                {{"path", user_agent_regexes_}, {"error", loaded.status().detail()}});
      return;
    }
    std::lock_guard lock(user_agents_mu_);
    user_agents_ = std::move(loaded).value();
    // Reading the YAML and compiling the sets left some 30 MB free in the allocator's arenas.
    malloc_trim(0);
  });
  return user_agents_.get();
}

void Ingest::Handle(int64_t project_id, bool legacy, http::IncomingRequest in,
                    http::Respond respond) {
  auto job = std::make_shared<Job>();
  job->project_id = project_id;
  job->legacy = legacy;
  job->client_ip = ClientIp(in, config_.server.trusted_proxies);
  job->in = std::move(in);
  const uint64_t wire = job->in.request.body().size();
  workers_.RunBodyJob(wire, config_.limits.max_envelope_bytes,
                      [this, job, respond](uint64_t limit, bool last) {
                        return Process(*job, limit, last, respond);
                      });
}

void Ingest::Deliver(const protocol::Dsn& dsn, std::shared_ptr<const std::string> envelope,
                     std::string client_ip, http::Respond respond) {
  auto job = [this, dsn, envelope, ip = std::move(client_ip), respond] {
    auto key = keys_.Find(dsn.public_key);
    if (!key || !key->key.enabled || std::to_string(key->project.id) != dsn.project_id) {
      metrics_.CountItem("envelope", "unauthorized");
      respond(ErrorResponse(base::PermissionDenied(
          "the DSN names an unknown or disabled key of this server's store")));
      return;
    }
    StoreEnvelope(*key, *envelope, ip, respond);
  };
  if (envelope->size() > Workers::kLightBodyBytes) {
    workers_.PostHeavy(std::move(job));
  } else {
    boost::asio::post(workers_.light(), std::move(job));
  }
}

base::Result<std::vector<std::pair<std::string, std::string>>> Ingest::HeaderKeys(
    const http::Request& req) {
  std::vector<std::pair<std::string, std::string>> keys;  // (source, key)
  if (auto v = req["X-Sentry-Auth"]; !v.empty()) {
    auto auth = protocol::ParseAuthHeader(v);
    if (!auth.ok())
      return base::Unauthenticated("invalid X-Sentry-Auth: " + auth.status().detail());
    keys.emplace_back("X-Sentry-Auth", auth->sentry_key);
  }
  if (auto v = req[bhttp::field::authorization];
      base::EqualsIgnoreCase(v.substr(0, 7), "sentry ")) {
    auto auth = protocol::ParseAuthHeader(v);
    if (!auth.ok())
      return base::Unauthenticated("invalid Authorization: " + auth.status().detail());
    keys.emplace_back("Authorization", auth->sentry_key);
  }
  std::string_view target = req.target();
  if (auto q = target.find('?'); q != std::string_view::npos) {
    if (auto auth = protocol::ParseAuthQuery(target.substr(q + 1))) {
      keys.emplace_back("sentry_key", auth->sentry_key);
    }
  }
  for (const auto& [source, key] : keys) {
    if (key != keys.front().second) {
      return base::Unauthenticated("conflicting authentication: " + keys.front().first + " and " +
                                   source + " name different keys");
    }
  }
  return keys;
}

namespace {

base::Status KeyAllows(const KeyInfo& info, int64_t project_id) {
  if (!info.key.enabled) return base::PermissionDenied("project key is disabled");
  if (info.project.id != project_id) {
    return base::PermissionDenied("the key does not belong to project " +
                                  std::to_string(project_id));
  }
  return base::Status::Ok();
}

base::Status UnknownProject(int64_t project_id) {
  return base::PermissionDenied("unknown project " + std::to_string(project_id));
}

base::Status UnknownKey(const std::string& public_key) {
  return base::PermissionDenied("unknown project key " + base::MaskSecret(public_key));
}

}  // namespace

base::Result<KeyInfo> Ingest::CheckKey(int64_t project_id, const std::string& public_key) {
  if (!keys_.FindProject(project_id)) return UnknownProject(project_id);
  auto info = keys_.Find(public_key);
  if (!info) return UnknownKey(public_key);
  FERRY_RETURN_IF_ERROR(KeyAllows(*info, project_id));
  return *info;
}

base::Status Ingest::HeadKeyStatus(const KeyInfo* info, int64_t project_id,
                                   const std::string& public_key, bool legacy) {
  if (info == nullptr) return UnknownKey(public_key);
  if (!legacy && info->key.enabled && info->project.id != project_id) return base::Status::Ok();
  return KeyAllows(*info, project_id);
}

http::HeadVerdict Ingest::CheckHead(int64_t project_id, bool legacy, const http::Request& head) {
  auto refuse = [this, legacy](const base::Status& st) {
    metrics_.CountItem(legacy ? "event" : "envelope", base::CodeName(st.code()));
    return ErrorResponse(st);
  };
  http::HeadVerdict verdict;
  auto keys = HeaderKeys(head);
  if (!keys.ok()) {
    verdict.refusal = refuse(keys.status());
    return verdict;
  }
  if (keys->empty()) {
    // An envelope may name its key in its header's dsn, which is read with the body.
    if (legacy) {
      verdict.refusal = refuse(base::Unauthenticated(
          "missing authentication: send X-Sentry-Auth, sentry_key or an envelope dsn"));
    }
    return verdict;
  }
  const std::string& key = keys->front().second;
  if (auto info = keys_.Peek(key); info && info->project.id == project_id) {
    if (auto st = HeadKeyStatus(&*info, project_id, key, legacy); !st.ok()) {
      verdict.refusal = refuse(st);
    }
    return verdict;
  }
  // Not in the cache, or for another project: a worker asks the store (the key may have been
  // created a moment ago, and the project may be unknown).
  verdict.deferred = [this, refuse, project_id, legacy, key](http::HeadVerdict::Done done) {
    boost::asio::post(
        workers_.light(), [this, refuse, project_id, legacy, key, done = std::move(done)] {
          base::Status st =
              keys_.FindProject(project_id) ? base::Status::Ok() : UnknownProject(project_id);
          if (st.ok()) {
            auto info = keys_.Find(key);
            st = HeadKeyStatus(info ? &*info : nullptr, project_id, key, legacy);
          }
          done(st.ok() ? std::nullopt : std::optional<http::Response>(refuse(st)));
        });
  };
  return verdict;
}

base::Result<KeyInfo> Ingest::Authenticate(const Job& job, const protocol::EnvelopeHeader* header) {
  // Every place a client may put its key; all that are present must agree.
  auto found = HeaderKeys(job.in.request);
  if (!found.ok()) return found.status();
  auto& keys = *found;
  if (header) {
    if (const auto* f = header->Find("dsn"); f && f->kind == protocol::JsonKind::kString) {
      auto dsn = protocol::ParseDsn(f->string_value);
      if (!dsn.ok()) return base::Unauthenticated("invalid envelope dsn: " + dsn.status().detail());
      if (!keys.empty() && dsn->public_key != keys.front().second) {
        return base::Unauthenticated("conflicting authentication: " + keys.front().first +
                                     " and envelope dsn name different keys");
      }
      keys.emplace_back("envelope dsn", dsn->public_key);
    }
  }
  if (keys.empty()) {
    return base::Unauthenticated(
        "missing authentication: send X-Sentry-Auth, sentry_key or an envelope dsn");
  }
  return CheckKey(job.project_id, keys.front().second);
}

// The key is checked before anything is decoded: from the headers, or from the envelope's
// first line, which is all that is decoded until the key is known to be good.
bool Ingest::Process(Job& job, uint64_t limit, bool last, const http::Respond& respond) {
  auto fail = [&](const base::Status& st) {
    metrics_.CountItem(job.legacy ? "event" : "envelope", base::CodeName(st.code()));
    respond(ErrorResponse(st));
    return true;
  };
  auto& req = job.in.request;
  auto codings = protocol::ParseContentEncoding(req[bhttp::field::content_encoding]);
  if (!codings.ok()) return fail(codings.status());
  base::Result<KeyInfo> key = base::Internal("not authenticated");
  if (job.legacy) {
    key = Authenticate(job, nullptr);
  } else {
    auto line = DecodeFirstLine(job.in, *codings, limit);
    if (!line.ok()) {
      if (line.status().code() == base::Code::kTooLarge && !last) return false;
      return fail(line.status());
    }
    auto header = protocol::ParseEnvelopeHeader(*line);
    if (!header.ok()) return fail(header.status());
    key = Authenticate(job, &*header);
  }
  if (!key.ok()) return fail(key.status());

  auto body = DecodeRequestBody(job.in, *codings, limit, metrics_, /*count_bomb=*/last);
  if (!body.ok()) {
    if (body.status().code() == base::Code::kTooLarge && !last) return false;
    return fail(body.status());
  }
  if (job.legacy) {
    auto event = DecodeLegacyEvent(job.in, *body, limit, metrics_, last);
    if (!event.ok()) {
      if (event.status().code() == base::Code::kTooLarge && !last) {
        // The retry on a heavy worker reads the body again.
        if (codings->empty()) req.body() = std::move(*body);
        return false;
      }
      return fail(event.status());
    }
    StoreEvent(*key, *event, job.client_ip, {}, std::nullopt, respond);
  } else {
    StoreEnvelope(*key, *body, job.client_ip, respond);
  }
  return true;
}

void Ingest::StoreEnvelope(const KeyInfo& key, std::string_view body, const std::string& client_ip,
                           const http::Respond& respond) {
  auto envelope = protocol::ParseEnvelope(body);
  if (!envelope.ok()) {
    metrics_.CountItem("envelope", "invalid");
    return respond(ErrorResponse(envelope.status()));
  }
  const protocol::EnvelopeItem* event_item = nullptr;
  std::vector<store::Attachment> attachments;
  std::map<std::string, int64_t> counts;
  for (const auto& item : envelope->items) {
    if (item.type == "event" && event_item == nullptr) {
      if (item.payload.size() > config_.limits.max_event_bytes) {
        metrics_.CountItem("event", "too_large");
        return respond(ErrorResponse(base::TooLarge("event exceeds " +
                                                    std::to_string(config_.limits.max_event_bytes) +
                                                    " bytes (limits.max_event_bytes)")));
      }
      event_item = &item;
    } else if (item.type == "attachment") {
      attachments.push_back(
          {FieldString(item.fields, "filename"), FieldString(item.fields, "content_type"),
           FieldString(item.fields, "attachment_type"), std::string(item.payload)});
    } else {
      ++counts[std::string(CountCategory(item.type))];
    }
  }
  if (!event_item && !attachments.empty()) counts["attachment"] += attachments.size();
  if (!counts.empty()) {
    int64_t day = ToMillis(std::chrono::system_clock::now()) / 86400000;
    std::vector<store::ItemCount> rows;
    for (const auto& [category, n] : counts) {
      rows.push_back({key.project.id, category, day, n});
      metrics_.CountItem(category, "accepted");
    }
    writer_.SubmitCounts(std::move(rows));
  }
  if (!event_item) {
    const auto* id = envelope->header.Find("event_id");
    return respond(
        EventIdResponse(id && id->kind == protocol::JsonKind::kString ? id->string_value : ""));
  }
  auto sent_at = event::ParseRfc3339(FieldString(envelope->header.fields, "sent_at"));
  StoreEvent(key, event_item->payload, client_ip, std::move(attachments), sent_at, respond);
}

void Ingest::StoreEvent(const KeyInfo& key, std::string_view json, const std::string& client_ip,
                        std::vector<store::Attachment> attachments,
                        std::optional<std::chrono::system_clock::time_point> sent_at,
                        const http::Respond& respond) {
  event::NormalizeOptions options;
  options.now = std::chrono::system_clock::now();
  options.sent_at = sent_at;
  options.default_platform = key.project.platform.empty() ? "other" : key.project.platform;
  options.client_ip = client_ip;
  options.max_event_bytes = config_.limits.max_event_bytes;
  options.user_agents = UserAgents();
  auto normalized = event::Normalize(json, options);
  if (!normalized.ok()) {
    metrics_.CountItem("event", base::CodeName(normalized.status().code()));
    auto st = normalized.status();
    if (st.code() == base::Code::kInvalidArgument) {
      st = base::InvalidArgument("invalid event: " + st.detail());
    }
    return respond(ErrorResponse(st));
  }
  auto grouping = event::ComputeGrouping(*normalized);
  auto record = ToRecord(key.project.id, std::move(*normalized), grouping);
  record.attachments = std::move(attachments);
  std::string event_id = record.event_id;
  notify::Alert alert;
  if (alert_sink_) {
    alert.project_id = key.project.id;
    alert.project = key.project.slug;
    alert.title = record.title;
    alert.culprit = record.culprit;
    alert.level = record.level;
    alert.environment = record.environment;
    alert.release = record.release;
    alert.received_ms = record.received_ms;
  }
  writer_.Submit(std::move(record), [this, event_id, respond, alert = std::move(alert)](
                                        base::Result<store::SaveResult> r) mutable {
    if (!r.ok()) {
      metrics_.CountItem("event", "store_failed");
      base::Log(base::LogLevel::kError, "cannot store event", {{"error", r.status().detail()}});
      return respond(ErrorResponse(
          base::Unavailable("the store cannot take the event: " + r.status().detail())));
    }
    metrics_.CountItem("event", r->duplicate ? "duplicate" : "stored");
    if (alert_sink_ && !r->duplicate && (r->new_issue || r->regressed)) {
      alert.kind = r->new_issue ? notify::AlertKind::kNewIssue : notify::AlertKind::kRegression;
      alert.issue_id = r->issue_id;
      alert_sink_(std::move(alert));
    }
    respond(EventIdResponse(event_id));
  });
}

}  // namespace ferry::server
