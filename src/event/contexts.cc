#include "event/contexts.h"

#include "base/strings.h"

namespace ferry::event::internal {

namespace json = boost::json;

namespace {

const std::string* UserAgentHeader(const Request& request) {
  for (const KeyValue& h : request.headers) {
    if (base::EqualsIgnoreCase(h.key, "user-agent")) return &h.value;
  }
  return nullptr;
}

}  // namespace

void AddUserAgentContexts(json::object& event, const NormalizedEvent& ev,
                          const UserAgentParser& parser) {
  const std::string* ua = UserAgentHeader(ev.request);
  if (ua == nullptr || ua->empty()) return;
  json::value* existing = event.if_contains("contexts");
  if (existing != nullptr && !existing->is_object()) return;  // not ours to repair
  const std::string_view os_key = ev.platform == "javascript" ? "os" : "client_os";
  const json::object* current = existing != nullptr ? &existing->get_object() : nullptr;
  auto lacks = [current](std::string_view key) {
    return current == nullptr || !current->contains(key);
  };
  if (!lacks("browser") && !lacks("device") && !lacks(os_key)) return;

  const std::shared_ptr<const UserAgentInfo> parsed = parser.Parse(*ua);
  const UserAgentInfo& info = *parsed;
  // Built in the event tree's own memory, so that moving them in below copies nothing.
  const json::storage_ptr& sp = event.storage();
  json::object added(sp);
  auto version_context = [&sp](const UserAgentInfo::Version& v, std::string_view type) {
    json::object c(sp);
    c["name"] = v.family;
    if (std::string joined = v.Joined(); !joined.empty()) c["version"] = joined;
    c["type"] = type;
    return c;
  };
  if (lacks("browser") && !info.browser.family.empty()) {
    added["browser"] = version_context(info.browser, "browser");
  }
  if (lacks("device") && !info.device_family.empty()) {
    json::object c(sp);
    c["family"] = info.device_family;
    if (!info.device_model.empty()) c["model"] = info.device_model;
    if (!info.device_brand.empty()) c["brand"] = info.device_brand;
    c["type"] = "device";
    added["device"] = std::move(c);
  }
  if (lacks(os_key) && !info.os.family.empty()) added[os_key] = version_context(info.os, "os");
  if (added.empty()) return;
  if (existing == nullptr) {
    event["contexts"] = std::move(added);
    return;
  }
  json::object& contexts = existing->get_object();
  for (auto& member : added) contexts[member.key()] = std::move(member.value());
}

}  // namespace ferry::event::internal
