#include "web/api_json.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/strings.h"
#include "event/frames.h"

namespace ferry::web {

namespace json = boost::json;

namespace {

json::value Parse(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  auto v = json::parse(text, ec, {}, options);
  return ec ? json::value() : v;
}

const json::value* Get(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  return v.as_object().if_contains(key);
}

std::string Str(const json::value& v, std::string_view key) {
  const auto* f = Get(v, key);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

// Copies `from[key]` to `to[as]` when present.
void Copy(const json::value& from, std::string_view key, json::object& to, std::string_view as) {
  if (const auto* f = Get(from, key)) to[as] = *f;
}

json::array ContextLines(const json::value& frame) {
  json::array out;
  const auto* line = Get(frame, "lineno");
  if (!line || !line->is_int64()) return out;
  int64_t n = line->as_int64();
  auto add_lines = [&](std::string_view key, int64_t first) {
    const auto* lines = Get(frame, key);
    if (!lines || !lines->is_array()) return;
    for (const auto& l : lines->as_array()) out.push_back(json::array{first++, l});
  };
  const auto* pre = Get(frame, "pre_context");
  add_lines("pre_context", n - (pre && pre->is_array() ? pre->as_array().size() : 0));
  if (const auto* cl = Get(frame, "context_line")) out.push_back(json::array{n, *cl});
  add_lines("post_context", n + 1);
  return out;
}

json::object StacktraceJson(const json::value& st, bool* has_system_frames) {
  json::array frames;
  if (const auto* fs = Get(st, "frames"); fs && fs->is_array()) {
    for (const auto& f : fs->as_array()) {
      json::object out;
      // Stored frames leave out whichever of the two the other gives (event/serialize.h).
      std::string filename = Str(f, "filename"), abs_path = Str(f, "abs_path");
      if (filename.empty() && !abs_path.empty()) {
        std::string_view path = event::UrlPath(abs_path);
        filename = path.empty() ? abs_path : std::string(path);
      }
      if (abs_path.empty()) abs_path = filename;
      out["filename"] = filename.empty() ? json::value(nullptr) : json::value(filename);
      out["absPath"] = abs_path.empty() ? json::value(nullptr) : json::value(abs_path);
      Copy(f, "module", out, "module");
      Copy(f, "function", out, "function");
      Copy(f, "package", out, "package");
      Copy(f, "platform", out, "platform");
      Copy(f, "instruction_addr", out, "instructionAddr");
      Copy(f, "lineno", out, "lineNo");
      Copy(f, "colno", out, "colNo");
      Copy(f, "vars", out, "vars");
      const auto* in_app = Get(f, "in_app");
      bool app = in_app && in_app->is_bool() && in_app->as_bool();
      if (!app) *has_system_frames = true;
      out["inApp"] = app;
      out["context"] = ContextLines(f);
      frames.push_back(std::move(out));
    }
  }
  json::object out{{"frames", std::move(frames)}};
  Copy(st, "frames_omitted", out, "framesOmitted");
  return out;
}

json::array Entries(const json::value& payload) {
  json::array entries;
  bool system_frames = false;
  if (const auto* exc = Get(payload, "exception")) {
    json::array values;
    if (const auto* vs = Get(*exc, "values"); vs && vs->is_array()) {
      for (const auto& v : vs->as_array()) {
        json::object out;
        Copy(v, "type", out, "type");
        Copy(v, "value", out, "value");
        Copy(v, "module", out, "module");
        Copy(v, "mechanism", out, "mechanism");
        if (const auto* st = Get(v, "stacktrace")) {
          out["stacktrace"] = StacktraceJson(*st, &system_frames);
        } else {
          out["stacktrace"] = nullptr;
        }
        values.push_back(std::move(out));
      }
    }
    entries.push_back(json::object{{"type", "exception"},
                                   {"data", json::object{{"values", std::move(values)},
                                                         {"hasSystemFrames", system_frames},
                                                         {"excOmitted", nullptr}}}});
  }
  if (const auto* st = Get(payload, "stacktrace")) {
    entries.push_back(
        json::object{{"type", "stacktrace"}, {"data", StacktraceJson(*st, &system_frames)}});
  }
  if (const auto* log = Get(payload, "logentry")) {
    json::object data;
    std::string formatted = Str(*log, "formatted");
    data["formatted"] = formatted.empty() ? Str(*log, "message") : formatted;
    Copy(*log, "message", data, "message");
    entries.push_back(json::object{{"type", "message"}, {"data", std::move(data)}});
  }
  if (const auto* crumbs = Get(payload, "breadcrumbs")) {
    json::array values;
    if (const auto* vs = Get(*crumbs, "values"); vs && vs->is_array()) {
      for (const auto& c : vs->as_array()) {
        json::object out;
        for (auto key : {"timestamp", "type", "category", "level", "message", "data"}) {
          Copy(c, key, out, key);
        }
        values.push_back(std::move(out));
      }
    }
    entries.push_back(json::object{{"type", "breadcrumbs"},
                                   {"data", json::object{{"values", std::move(values)}}}});
  }
  if (const auto* req = Get(payload, "request")) {
    json::object data;
    Copy(*req, "url", data, "url");
    Copy(*req, "method", data, "method");
    Copy(*req, "query_string", data, "query");
    Copy(*req, "data", data, "data");
    json::array headers;
    if (const auto* hs = Get(*req, "headers")) {
      if (hs->is_object()) {
        for (const auto& [k, v] : hs->as_object()) headers.push_back(json::array{k, v});
      } else if (hs->is_array()) {
        headers = hs->as_array();
      }
    }
    data["headers"] = std::move(headers);
    entries.push_back(json::object{{"type", "request"}, {"data", std::move(data)}});
  }
  return entries;
}

// Sentry answers tags sorted by key.
json::array TagsJson(const store::EventRecord& r) {
  auto tags = r.tags;
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::object{{"key", k}, {"value", v}});
  return out;
}

// Issues and events stored before metadata was kept: what their title says.
json::object MetadataFromTitle(const std::string& title) {
  auto colon = title.find(": ");
  if (colon == std::string::npos) return json::object{{"title", title}};
  return json::object{{"type", title.substr(0, colon)}, {"value", title.substr(colon + 2)}};
}

std::string TypeFromTitle(const std::string& title) {
  return title.find(": ") != std::string::npos ? "error" : "default";
}

json::object MetadataJson(const std::string& metadata_json, const std::string& title) {
  json::value v = Parse(metadata_json);
  return v.is_object() && !v.get_object().empty() ? std::move(v.get_object())
                                                  : MetadataFromTitle(title);
}

// Sentry's words for Relay's error types (its EventError messages).
std::string_view ErrorMessage(std::string_view type) {
  if (type == "past_timestamp") return "Invalid timestamp (too old)";
  if (type == "future_timestamp") return "Invalid timestamp (in future)";
  if (type == "clock_drift") return "Clock drift detected in SDK";
  if (type == "value_too_long") return "Discarded value due to exceeding maximum length";
  if (type == "invalid_data") return "Discarded invalid value";
  return "Event processing note";
}

// The normalization notes as Sentry's event API answers them: {type, message, data}.
json::array ErrorsJson(const json::value& payload) {
  json::array out;
  auto add = [&out](std::string type, std::string name, const json::value* value) {
    json::object data{{"name", name}};
    if (value != nullptr) data["value"] = *value;
    std::string message(ErrorMessage(type));
    out.push_back(json::object{
        {"type", std::move(type)}, {"message", std::move(message)}, {"data", std::move(data)}});
  };
  if (const auto* errors = Get(payload, "errors"); errors && errors->is_array()) {
    for (const auto& e : errors->get_array()) add(Str(e, "type"), Str(e, "name"), Get(e, "value"));
  }
  // Events stored before errors were structured: "<name>: <type>".
  if (const auto* notes = Get(payload, "_notes"); notes && notes->is_array()) {
    for (const auto& n : notes->get_array()) {
      if (!n.is_string()) continue;
      std::string_view text = n.get_string();
      auto colon = text.find(": ");
      if (colon == std::string_view::npos) continue;
      add(std::string(text.substr(colon + 2)), std::string(text.substr(0, colon)), nullptr);
    }
  }
  return out;
}

// Sentry's user interface: every field present, null when unknown.
json::value UserJson(const json::value& payload) {
  const auto* user = Get(payload, "user");
  if (user == nullptr || !user->is_object()) return nullptr;
  json::object out;
  for (auto key : {"id", "email", "username", "ip_address", "name"}) {
    const auto* v = Get(*user, key);
    out[key] = v != nullptr ? *v : json::value(nullptr);
  }
  out["geo"] = nullptr;
  out["data"] = nullptr;
  return out;
}

}  // namespace

std::string IsoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

json::object ProjectJson(const store::Project& p) {
  return json::object{
      {"id", std::to_string(p.id)},
      {"slug", p.slug},
      {"name", p.name},
      {"platform", p.platform.empty() ? json::value(nullptr) : json::value(p.platform)},
      {"dateCreated", IsoTime(p.created_ms)},
      {"isMember", true},
      {"hasAccess", true},
      {"status", "active"},
      {"organization", json::object{{"id", "1"}, {"slug", "ferry"}, {"name", "ferry"}}},
  };
}

json::object IssueJson(const store::Issue& issue, const store::Project& project,
                       const std::string& public_url) {
  std::string short_id = base::AsciiLower(project.slug);
  for (char& c : short_id) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return json::object{
      {"id", std::to_string(issue.id)},
      {"shortId", short_id + "-" + std::to_string(issue.id)},
      {"title", issue.title},
      {"culprit", issue.culprit},
      {"permalink", public_url + "/issues/" + std::to_string(issue.id) + "/"},
      {"level", issue.level},
      {"status", std::string(store::IssueStatusName(issue.status))},
      {"statusDetails", json::object{}},
      {"platform", issue.platform},
      {"type", issue.type.empty() ? TypeFromTitle(issue.title) : issue.type},
      {"metadata", MetadataJson(issue.metadata_json, issue.title)},
      {"project", json::object{{"id", std::to_string(project.id)},
                               {"slug", project.slug},
                               {"name", project.name},
                               {"platform", project.platform}}},
      {"count", std::to_string(issue.count)},
      {"userCount", issue.user_count},
      {"numComments", 0},
      {"assignedTo", nullptr},
      {"isBookmarked", false},
      {"isSubscribed", false},
      {"hasSeen", false},
      {"isPublic", false},
      {"firstSeen", IsoTime(issue.first_seen_ms)},
      {"lastSeen", IsoTime(issue.last_seen_ms)},
  };
}

json::object EventSummaryJson(const store::StoredEvent& e) {
  const auto& r = e.record;
  return json::object{
      {"id", r.event_id},
      {"eventID", r.event_id},
      {"groupID", std::to_string(e.issue_id)},
      {"projectID", std::to_string(r.project_id)},
      {"title", r.title},
      {"message", r.message},
      {"culprit", r.culprit},
      {"platform", r.platform},
      {"event.type", r.type.empty() ? TypeFromTitle(r.title) : r.type},
      {"dateCreated", IsoTime(r.timestamp_ms)},
      {"dateReceived", IsoTime(r.received_ms)},
      {"tags", TagsJson(r)},
  };
}

json::object EventJson(const store::StoredEvent& e) {
  const auto& r = e.record;
  json::value payload = Parse(r.payload_json);
  json::object out = EventSummaryJson(e);
  out["level"] = r.level;
  out["release"] = r.release.empty() ? json::value(nullptr) : json::value(r.release);
  out["environment"] = r.environment;
  std::string type = Str(payload, "type");
  out["type"] = type.empty() ? TypeFromTitle(r.title) : type;
  const auto* metadata = Get(payload, "metadata");
  out["metadata"] = metadata != nullptr && metadata->is_object() && !metadata->get_object().empty()
                        ? *metadata
                        : json::value(MetadataFromTitle(r.title));
  // Stored as metadata.filename (event/serialize.h).
  std::string location = metadata != nullptr ? Str(*metadata, "filename") : "";
  out["location"] = location.empty() ? json::value(nullptr) : json::value(location);
  out["dist"] = Get(payload, "dist") ? *Get(payload, "dist") : json::value(nullptr);
  out["entries"] = Entries(payload);
  out["user"] = UserJson(payload);
  for (auto [key, as] : {std::pair{"contexts", "contexts"}, std::pair{"sdk", "sdk"},
                         std::pair{"extra", "context"}}) {
    if (const auto* v = Get(payload, key)) {
      out[as] = *v;
    } else {
      out[as] = nullptr;
    }
  }
  json::array components;
  for (const auto& c : r.grouping_components) components.push_back(json::string(c));
  out["fingerprints"] = json::array{json::string(r.grouping_hash)};
  out["grouping"] = json::object{{"method", r.grouping_method}, {"components", components}};
  out["size"] = r.payload_json.size();
  out["errors"] = ErrorsJson(payload);
  json::array attachments;
  for (const auto& a : r.attachments) {
    attachments.push_back(json::object{{"name", a.filename},
                                       {"mimetype", a.content_type},
                                       {"type", a.attachment_type},
                                       {"size", a.data.size()}});
  }
  out["attachments"] = std::move(attachments);
  return out;
}

}  // namespace ferry::web
