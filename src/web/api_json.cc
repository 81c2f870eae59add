#include "web/api_json.h"

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/strings.h"

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
      Copy(f, "filename", out, "filename");
      Copy(f, "abs_path", out, "absPath");
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

json::array TagsJson(const store::EventRecord& r) {
  json::array tags;
  for (const auto& [k, v] : r.tags) tags.push_back(json::object{{"key", k}, {"value", v}});
  return tags;
}

json::object Metadata(const std::string& title) {
  auto colon = title.find(": ");
  if (colon == std::string::npos) return json::object{{"title", title}};
  return json::object{{"type", title.substr(0, colon)}, {"value", title.substr(colon + 2)}};
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
      {"type", issue.title.find(": ") != std::string::npos ? "error" : "default"},
      {"metadata", Metadata(issue.title)},
      {"project", json::object{{"id", std::to_string(project.id)},
                               {"slug", project.slug},
                               {"name", project.name},
                               {"platform", project.platform}}},
      {"count", std::to_string(issue.count)},
      {"userCount", 0},
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
      {"event.type", r.title.find(": ") != std::string::npos ? "error" : "default"},
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
  out["metadata"] = Metadata(r.title);
  out["entries"] = Entries(payload);
  for (auto [key, as] : {std::pair{"contexts", "contexts"}, std::pair{"user", "user"},
                         std::pair{"sdk", "sdk"}, std::pair{"extra", "context"}}) {
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
  out["errors"] = json::array{};
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
