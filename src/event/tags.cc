#include "event/tags.h"

#include "base/strings.h"
#include "event/json_util.h"
#include "event/title.h"

namespace ferry::event {

namespace json = boost::json;

namespace {

// One tag a context type yields: `field` "" names the tag after the context itself.
struct ContextTagRule {
  std::string_view type;
  std::string_view field;   // "" or the suffix after "<key>."
  std::string_view first;   // the member that gives the value
  std::string_view second;  // appended after a space when present ("<name> <version>")
};

// Sentry's context_to_tag_mapping of each context type.
constexpr ContextTagRule kContextTagRules[] = {
    {"browser", "", "name", "version"},
    {"browser", "name", "name", ""},
    {"os", "", "name", "version"},
    {"os", "name", "name", ""},
    {"runtime", "", "name", "version"},
    {"runtime", "name", "name", ""},
    {"device", "", "model", ""},
    {"device", "family", "family", ""},
    {"gpu", "name", "name", ""},
    {"gpu", "vendor", "vendor_name", ""},
    {"app", "device", "device_app_hash", ""},
};

std::string MemberText(const json::object& context, std::string_view key) {
  const json::value* v = context.if_contains(key);
  if (v == nullptr) return "";
  return TagValueText(v).value_or("");
}

// Derived tags come on top of at most NormalizeOptions::max_tags sent ones; this bounds them
// all, and with them the scan below, whatever a hostile event's contexts hold.
constexpr size_t kMaxTotalTags = 256;
// Contexts looked at for tags: SDKs send a dozen at most.
constexpr size_t kMaxTaggedContexts = 64;

void SetTag(std::vector<KeyValue>& tags, std::string key, std::string value) {
  if (value.empty() || !IsValidTagKey(key)) return;
  value = TruncateChars(value, kMaxTagValueChars);
  if (value.find('\n') != std::string::npos) value = value.substr(0, value.find('\n'));
  if (value.empty()) return;
  for (KeyValue& kv : tags) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  if (tags.size() < kMaxTotalTags) tags.push_back({std::move(key), std::move(value)});
}

}  // namespace

bool IsValidTagKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxTagKeyChars) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> TagValueText(const json::value* v) {
  if (v == nullptr || v->is_null() || v->is_object() || v->is_array()) return std::nullopt;
  if (v->is_bool()) return std::string(v->get_bool() ? "True" : "False");
  // Strings longer than any valid value are cut just past the limit so the caller sees them
  // as too long without copying megabytes.
  return internal::ScalarText(v, kMaxTagValueChars * 4 + 4);
}

size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string UserTagValue(const User& user) {
  if (!user.id.empty()) return "id:" + user.id;
  if (!user.username.empty()) return "username:" + user.username;
  if (!user.email.empty()) return "email:" + user.email;
  if (!user.ip_address.empty()) return "ip:" + user.ip_address;
  return "";
}

std::vector<KeyValue> ContextTags(const json::object& contexts) {
  std::vector<KeyValue> out;
  size_t seen = 0;
  for (const auto& member : contexts) {
    if (seen++ >= kMaxTaggedContexts) break;
    const json::object* context = member.value().if_object();
    if (context == nullptr) continue;
    std::string type = MemberText(*context, "type");
    if (type.empty()) type = std::string(member.key());
    for (const ContextTagRule& rule : kContextTagRules) {
      if (rule.type != type) continue;
      std::string value = MemberText(*context, rule.first);
      if (value.empty()) continue;
      if (!rule.second.empty()) {
        if (std::string more = MemberText(*context, rule.second); !more.empty()) {
          value += " " + more;
        }
      }
      std::string key(member.key());
      if (!rule.field.empty()) key += "." + std::string(rule.field);
      out.push_back({std::move(key), std::move(value)});
    }
  }
  return out;
}

void TakeReservedTags(NormalizedEvent& event) {
  std::erase_if(event.tags, [&](KeyValue& kv) {
    if (kv.key == "environment") {
      if (event.environment.empty()) {
        event.environment = internal::TruncateUtf8(base::Trim(kv.value), kMaxEnvironmentBytes);
      }
      return true;
    }
    return kv.key == "release" || kv.key == "dist" || kv.key == "user" || kv.key == "filename" ||
           kv.key == "function";
  });
}

void AddDerivedTags(NormalizedEvent& event, const json::object* contexts) {
  std::vector<KeyValue>& tags = event.tags;
  SetTag(tags, "level", std::string(LevelName(event.level)));
  SetTag(tags, "environment", event.environment);
  SetTag(tags, "release", event.release);
  if (!event.release.empty()) SetTag(tags, "dist", event.dist);
  SetTag(tags, "logger", event.logger);
  SetTag(tags, "server_name", event.server_name);
  SetTag(tags, "site", event.site);
  SetTag(tags, "transaction", event.transaction);
  SetTag(tags, "url", event.request.url);  // without its query (fields.h)
  if (!event.exceptions.empty()) {
    const ExceptionValue& last = event.exceptions.back();
    SetTag(tags, "mechanism", last.mechanism_type);
    if (last.handled) SetTag(tags, "handled", *last.handled ? "yes" : "no");
  }
  SetTag(tags, "user", UserTagValue(event.user));
  if (contexts != nullptr) {
    for (KeyValue& kv : ContextTags(*contexts))
      SetTag(tags, std::move(kv.key), std::move(kv.value));
  }
}

}  // namespace ferry::event
