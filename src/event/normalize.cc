#include "event/normalize.h"

#include <arpa/inet.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <random>
#include <string>

#include "base/strings.h"
#include "event/contexts.h"
#include "event/fields.h"
#include "event/json_util.h"
#include "event/serialize.h"
#include "event/stacktrace.h"
#include "event/tags.h"
#include "event/timestamp.h"
#include "event/title.h"

namespace ferry::event {

namespace json = boost::json;
using internal::AsArray;
using internal::AsObject;
using internal::BoundedJson;
using internal::Member;
using internal::ScalarText;

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string RandomEventId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // The id only has to be unique, not secret; fall back rather than refuse the event.
    std::random_device rd;
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(rd());
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0x0F];
  }
  return id;
}

// A UUID with or without dashes, any case -> 32 lowercase hex digits.
base::Result<std::string> ReadEventId(const json::value* v) {
  if (v == nullptr || v->is_null()) return RandomEventId();
  if (!v->is_string()) return base::InvalidArgument("event_id is not a string");
  std::string id;
  for (char c : v->get_string()) {
    if (c == '-') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || id.size() >= 32) {
      return base::InvalidArgument("event_id is not 32 hex digits");
    }
    id += c;
  }
  if (id.size() != 32) return base::InvalidArgument("event_id is not 32 hex digits");
  return id;
}

std::string ReadPlatform(const json::value* v, const std::string& fallback) {
  std::string platform = base::AsciiLower(ScalarText(v, 64));
  bool valid = !platform.empty() && platform.size() <= 32;
  for (char c : platform) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  return valid ? platform : fallback;
}

// "TypeError: x is undefined" sent as a value with no type is split the way Relay does, so
// the title and grouping see the type.
void SplitTypeFromValue(ExceptionValue& x) {
  if (!x.type.empty()) return;
  size_t colon = x.value.find(": ");
  if (colon == std::string::npos || colon == 0 || colon > 128) return;
  for (size_t i = 0; i < colon; ++i) {
    char c = x.value[i];
    bool ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '$';
    if (!ident) return;
  }
  x.type = x.value.substr(0, colon);
  x.value.erase(0, colon + 2);
}

std::vector<ExceptionValue> ReadExceptions(const json::object& event,
                                           const NormalizeOptions& opts) {
  const json::value* exc = event.if_contains("exception");
  if (exc == nullptr) exc = event.if_contains("sentry.interfaces.Exception");
  if (exc == nullptr) return {};
  // {"values": [...]}, a bare list, or (oldest SDKs) a single exception object.
  const json::array* list = AsArray(Member(exc, "values"));
  if (list == nullptr) list = AsArray(exc);
  json::array single;
  if (list == nullptr && (Member(exc, "type") != nullptr || Member(exc, "value") != nullptr)) {
    single.push_back(*exc);
    list = &single;
  }
  if (list == nullptr) return {};
  std::vector<ExceptionValue> out;
  const size_t first = list->size() > opts.max_exceptions ? list->size() - opts.max_exceptions : 0;
  for (size_t i = first; i < list->size(); ++i) {
    const json::value& item = (*list)[i];
    if (!item.is_object()) continue;
    ExceptionValue x;
    x.type = ScalarText(Member(&item, "type"), opts.max_short_string_bytes);
    const json::value* value = Member(&item, "value");
    x.value = value != nullptr && (value->is_object() || value->is_array())
                  ? BoundedJson(value, opts.max_string_bytes)
                  : ScalarText(value, opts.max_string_bytes);
    x.module = ScalarText(Member(&item, "module"), opts.max_short_string_bytes);
    const json::value* mechanism = Member(&item, "mechanism");
    x.mechanism_type = ScalarText(Member(mechanism, "type"), 64);
    if (const json::value* handled = Member(mechanism, "handled"); handled && handled->is_bool()) {
      x.handled = handled->get_bool();
    }
    const json::value* synthetic = Member(mechanism, "synthetic");
    x.synthetic = synthetic != nullptr && synthetic->is_bool() && synthetic->get_bool();
    x.stacktrace = internal::ParseStacktrace(Member(&item, "stacktrace"), opts);
    SplitTypeFromValue(x);
    if (x.type.empty() && x.value.empty() && !x.stacktrace) continue;
    out.push_back(std::move(x));
  }
  return out;
}

// The stack of the thread that crashed, else the current one, else the first that has one.
std::optional<Stacktrace> ReadThreadStacktrace(const json::object& event,
                                               const NormalizeOptions& opts) {
  const json::value* threads = event.if_contains("threads");
  const json::array* list = AsArray(Member(threads, "values"));
  if (list == nullptr) list = AsArray(threads);
  if (list != nullptr) {
    const json::value* chosen = nullptr;
    for (std::string_view flag : {"crashed", "current"}) {
      for (const json::value& t : *list) {
        const json::value* f = Member(&t, flag);
        if (chosen == nullptr && f != nullptr && f->is_bool() && f->get_bool() &&
            Member(&t, "stacktrace") != nullptr) {
          chosen = &t;
        }
      }
    }
    for (const json::value& t : *list) {
      if (chosen == nullptr && Member(&t, "stacktrace") != nullptr) chosen = &t;
    }
    if (chosen != nullptr) {
      if (auto st = internal::ParseStacktrace(Member(chosen, "stacktrace"), opts)) return st;
    }
  }
  // The legacy top-level interface some SDKs use for attach_stacktrace on messages.
  return internal::ParseStacktrace(event.if_contains("stacktrace"), opts);
}

bool IsIpAddress(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// Relay's IP rules, in its order: "{{auto}}" in request.env.REMOTE_ADDR and user.ip_address
// is the client's address; a valid REMOTE_ADDR fills a missing user address; else javascript,
// cocoa and objc events, whose SDKs cannot know the device's public address, get the client's
// (unless the SDK asked not to: sdk.settings.infer_ip "never"). An address that is not one is
// dropped and recorded.
void InferUserIp(const json::object& obj, const NormalizeOptions& opts, NormalizedEvent& ev) {
  std::string& ip = ev.user.ip_address;
  std::string remote = ev.request.env_remote_addr;
  if (remote == "{{auto}}") remote = opts.client_ip;
  if (ip == "{{auto}}") ip = opts.client_ip;
  if (!ip.empty() && !IsIpAddress(ip)) {
    ev.errors.push_back({"invalid_data", "user.ip_address", ip});
    ip.clear();
  }
  if (!remote.empty() && IsIpAddress(remote)) {
    if (ip.empty()) ip = remote;
    return;
  }
  const json::value* infer = Member(Member(obj.if_contains("sdk"), "settings"), "infer_ip");
  bool never = infer != nullptr && infer->is_string() && infer->get_string() == "never";
  if (ip.empty() && !never && IsIpAddress(opts.client_ip) &&
      (ev.platform == "javascript" || ev.platform == "cocoa" || ev.platform == "objc")) {
    ip = opts.client_ip;
  }
}

void ReadTimestamps(const json::object& obj, const NormalizeOptions& opts, NormalizedEvent& ev,
                    std::chrono::microseconds* shift) {
  ev.received = opts.now;
  ev.timestamp = opts.now;
  if (const json::value* ts = obj.if_contains("timestamp"); ts != nullptr && !ts->is_null()) {
    if (auto tp = ParseTimestampValue(*ts)) {
      ev.timestamp = *tp;
    } else {
      ev.errors.push_back({"invalid_data", "timestamp", ScalarText(ts, 64)});
    }
  }
  DriftCorrection drift = ComputeDrift(
      ev.timestamp, opts.now, opts.sent_at,
      {.max_in_future = opts.max_secs_in_future, .max_in_past = opts.max_secs_in_past});
  if (!drift.reason.empty()) {
    ev.errors.push_back({drift.reason, "timestamp", FormatRfc3339(ev.timestamp)});
    ev.timestamp = ShiftClamped(ev.timestamp, drift.shift);
  }
  *shift = drift.shift;
}

}  // namespace

base::Result<NormalizedEvent> Normalize(std::string_view payload, const NormalizeOptions& opts) {
  if (payload.size() > opts.max_event_bytes) {
    return base::TooLarge("event is " + std::to_string(payload.size()) +
                          " bytes, over the limit of " + std::to_string(opts.max_event_bytes));
  }
  json::parse_options parse_opts;
  parse_opts.max_depth =
      static_cast<std::size_t>(opts.max_json_depth > 0 ? opts.max_json_depth : 1);
  boost::system::error_code ec;
  // Boost.JSON's parser keeps its own stack, so depth is bounded without recursion; the
  // limit also protects everything below that walks the tree recursively.
  // The tree lives only in this function, so it is allocated from one arena (first from the
  // stack) and dropped at once: freeing it node by node cost a third of normalization.
  unsigned char arena[16 * 1024];
  json::monotonic_resource memory(arena, sizeof arena);
  json::value root = json::parse(payload, ec, &memory, parse_opts);
  if (ec == json::error::too_deep) return base::InvalidArgument("event JSON is nested too deep");
  if (ec) return base::InvalidArgument("event is not valid JSON: " + ec.message());
  const json::object* obj = root.if_object();
  if (obj == nullptr) return base::InvalidArgument("event is not a JSON object");

  NormalizedEvent ev;
  auto id = ReadEventId(obj->if_contains("event_id"));
  if (!id.ok()) return id.status();
  ev.event_id = std::move(id).value();

  std::chrono::microseconds shift{0};
  ReadTimestamps(*obj, opts, ev, &shift);

  if (const json::value* level = obj->if_contains("level"); level && !level->is_null()) {
    auto parsed = ParseLevelName(ScalarText(level, 16));
    if (parsed) {
      ev.level = *parsed;
    } else {
      ev.errors.push_back({"invalid_data", "level", ScalarText(level, 16)});
    }
  }
  const size_t short_max = opts.max_short_string_bytes;
  ev.platform = ReadPlatform(obj->if_contains("platform"),
                             opts.default_platform.empty() ? "other" : opts.default_platform);
  ev.logger = ScalarText(obj->if_contains("logger"), short_max);
  ev.transaction = ScalarText(obj->if_contains("transaction"), short_max);
  ev.server_name = ScalarText(obj->if_contains("server_name"), short_max);
  ev.release = std::string(base::Trim(ScalarText(obj->if_contains("release"), short_max)));
  ev.dist = std::string(base::Trim(ScalarText(obj->if_contains("dist"), 64)));
  ev.environment =
      std::string(base::Trim(ScalarText(obj->if_contains("environment"), kMaxEnvironmentBytes)));
  ev.site = ScalarText(obj->if_contains("site"), short_max);

  internal::MessageParts message = internal::ReadMessage(*obj, opts);
  ev.message = std::move(message.formatted);
  ev.message_template = std::move(message.templ);

  ev.exceptions = ReadExceptions(*obj, opts);
  if (LastExceptionWithFrames(ev) == nullptr)
    ev.thread_stacktrace = ReadThreadStacktrace(*obj, opts);
  ev.type = ev.exceptions.empty() ? "default" : "error";

  ev.tags = internal::ReadTags(obj->if_contains("tags"), opts, &ev.errors);
  TakeReservedTags(ev);
  ev.user = internal::ReadUser(obj->if_contains("user"), opts);
  ev.request = internal::ReadRequest(obj->if_contains("request"), opts);
  InferUserIp(*obj, opts, ev);
  // Contexts are completed in the parsed tree (from the User-Agent), so that their tags and
  // the stored JSON see the same contexts.
  if (opts.user_agents != nullptr) {
    internal::AddUserAgentContexts(root.as_object(), ev, *opts.user_agents);
  }
  const json::value* contexts_value = obj->if_contains("contexts");
  const json::object* contexts = AsObject(contexts_value);
  if (contexts != nullptr && !contexts->empty()) {
    ev.contexts_json = BoundedJson(contexts_value, opts.max_json_field_bytes);
  }
  if (const json::value* extra = obj->if_contains("extra"); AsObject(extra)) {
    ev.extra_json = BoundedJson(extra, opts.max_json_field_bytes);
  }
  ev.breadcrumbs = internal::ReadBreadcrumbs(obj->if_contains("breadcrumbs"), shift, opts,
                                             &ev.breadcrumbs_dropped);
  const json::value* sdk = obj->if_contains("sdk");
  ev.sdk.name = ScalarText(Member(sdk, "name"), 128);
  ev.sdk.version = ScalarText(Member(sdk, "version"), 64);
  ev.fingerprint = internal::ReadFingerprint(obj->if_contains("fingerprint"));

  ev.title = ComputeTitle(ev);
  ev.culprit = ComputeCulprit(ev, ScalarText(obj->if_contains("culprit"), short_max));
  ComputeMetadata(ev);
  AddDerivedTags(ev, contexts);
  ev.normalized_json = internal::SerializeBounded(ev, opts.max_normalized_bytes);
  return ev;
}

}  // namespace ferry::event
