// The UI's issue list, issue page and issue actions (docs/ui.md).
#include <boost/json.hpp>
#include <kainjow/mustache.hpp>
#include <map>

#include "base/strings.h"
#include "event/frames.h"
#include "protocol/auth.h"
#include "web/api_json.h"
#include "web/search.h"
#include "web/ui.h"
#include "web/ui_assets.h"
#include "web/ui_page.h"

namespace ferry::web {

namespace bhttp = http::bhttp;
namespace json = boost::json;
namespace mustache = kainjow::mustache;

namespace {

constexpr int kPageSize = 50;

// "3 min ago", "2 h ago", "5 days ago": what a list is scanned for; the exact UTC time is in
// the element's title.
std::string Ago(int64_t ms, int64_t now_ms) {
  int64_t s = std::max<int64_t>(0, (now_ms - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return std::to_string(s / 60) + " min ago";
  if (s < 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + (s / 86400 == 1 ? " day ago" : " days ago");
}

mustache::data Time(int64_t ms, int64_t now_ms) {
  mustache::data t;
  t.set("ago", Ago(ms, now_ms));
  t.set("iso", IsoTime(ms));
  return t;
}

std::string Text(const json::value* v) {
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_null()) return "";
  return json::serialize(*v);
}

const json::value* Member(const json::value* v, std::string_view key) {
  if (v == nullptr || !v->is_object()) return nullptr;
  return v->get_object().if_contains(key);
}

// Every value of form field `name` (repeated fields: the selected issues of a bulk action).
std::vector<std::string> FormValues(std::string_view body, std::string_view name) {
  std::vector<std::string> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? "" : body.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    out.push_back(protocol::QueryParam(std::string(name) + "=" + value, name).value_or(""));
  }
  return out;
}

mustache::data Frames(const json::value* frames_value) {
  mustache::data frames{mustache::data::type::list};
  if (frames_value == nullptr || !frames_value->is_array()) return frames;
  const json::array& arr = frames_value->get_array();
  // Most recent call first, as Sentry shows them.
  for (auto it = arr.rbegin(); it != arr.rend(); ++it) {
    const json::value& f = *it;
    mustache::data frame;
    std::string filename = Text(Member(&f, "filename"));
    std::string abs_path = Text(Member(&f, "abs_path"));
    if (filename.empty() && !abs_path.empty()) {
      std::string_view p = event::UrlPath(abs_path);
      filename = p.empty() ? abs_path : std::string(p);
    }
    std::string module = Text(Member(&f, "module"));
    frame.set("function", Text(Member(&f, "function")));
    frame.set("file", !filename.empty() ? filename : module);
    if (!module.empty() && !filename.empty()) frame.set("module", module);
    std::string line = Text(Member(&f, "lineno"));
    if (!line.empty()) {
      std::string col = Text(Member(&f, "colno"));
      frame.set("line", col.empty() ? line : line + ":" + col);
    }
    const json::value* in_app = Member(&f, "in_app");
    frame.set("in_app", in_app != nullptr && in_app->is_bool() && in_app->get_bool());
    // Context lines, numbered, with the crashing line marked.
    int64_t lineno = 0;
    if (const json::value* l = Member(&f, "lineno"); l != nullptr && l->is_int64()) {
      lineno = l->get_int64();
    }
    mustache::data context{mustache::data::type::list};
    const json::value* pre = Member(&f, "pre_context");
    const json::value* post = Member(&f, "post_context");
    std::string current = Text(Member(&f, "context_line"));
    auto add = [&](int64_t n, const std::string& text, bool crash) {
      mustache::data l;
      l.set("n", n > 0 ? std::to_string(n) : "");
      l.set("text", text);
      l.set("crash", crash);
      context.push_back(l);
    };
    if (pre != nullptr && pre->is_array()) {
      int64_t n = lineno - static_cast<int64_t>(pre->get_array().size());
      for (const json::value& v : pre->get_array()) add(n++, Text(&v), false);
    }
    if (!current.empty()) add(lineno, current, true);
    if (post != nullptr && post->is_array()) {
      int64_t n = lineno + 1;
      for (const json::value& v : post->get_array()) add(n++, Text(&v), false);
    }
    if (!context.is_empty_list()) {
      frame.set("context", context);
      frame.set("has_context", true);
    }
    if (const json::value* vars = Member(&f, "vars"); vars != nullptr && vars->is_object()) {
      mustache::data list{mustache::data::type::list};
      for (const auto& kv : vars->get_object()) {
        mustache::data var;
        var.set("name", std::string(kv.key()));
        var.set("value", Text(&kv.value()));
        list.push_back(var);
      }
      if (!list.is_empty_list()) {
        frame.set("vars", list);
        frame.set("has_vars", true);
      }
    }
    frames.push_back(frame);
  }
  return frames;
}

// Key/value rows of an object's members (contexts, user): nested values as JSON text.
mustache::data Rows(const json::value* obj) {
  mustache::data rows{mustache::data::type::list};
  if (obj == nullptr || !obj->is_object()) return rows;
  for (const auto& kv : obj->get_object()) {
    mustache::data row;
    row.set("key", std::string(kv.key()));
    row.set("value", Text(&kv.value()));
    rows.push_back(row);
  }
  return rows;
}

mustache::data EventData(const store::StoredEvent& stored) {
  const store::EventRecord& r = stored.record;
  boost::system::error_code ec;
  json::value payload = json::parse(r.payload_json, ec);
  if (ec) payload = json::object();
  const json::value* root = &payload;
  mustache::data e;
  e.set("event_id", r.event_id);
  e.set("received", IsoTime(r.received_ms));
  e.set("timestamp", IsoTime(r.timestamp_ms));
  if (!r.message.empty()) e.set("message", r.message);

  // The exception chain: the last value is the one raised last, shown first (Sentry's order).
  mustache::data exceptions{mustache::data::type::list};
  if (const json::value* values = Member(Member(root, "exception"), "values");
      values != nullptr && values->is_array()) {
    const json::array& arr = values->get_array();
    for (auto it = arr.rbegin(); it != arr.rend(); ++it) {
      mustache::data ex;
      ex.set("type", Text(Member(&*it, "type")));
      ex.set("value", Text(Member(&*it, "value")));
      std::string mech = Text(Member(Member(&*it, "mechanism"), "type"));
      if (!mech.empty()) {
        const json::value* handled = Member(Member(&*it, "mechanism"), "handled");
        if (handled != nullptr && handled->is_bool()) {
          mech += handled->get_bool() ? " (handled)" : " (unhandled)";
        }
        ex.set("mechanism", mech);
      }
      mustache::data frames = Frames(Member(Member(&*it, "stacktrace"), "frames"));
      if (!frames.is_empty_list()) ex.set("frames", frames);
      exceptions.push_back(ex);
    }
  }
  if (!exceptions.is_empty_list()) e.set("exceptions", exceptions);
  if (mustache::data frames = Frames(Member(Member(root, "stacktrace"), "frames"));
      !frames.is_empty_list()) {
    e.set("thread_frames", frames);
    e.set("has_thread_frames", true);
  }

  mustache::data crumbs{mustache::data::type::list};
  if (const json::value* values = Member(Member(root, "breadcrumbs"), "values");
      values != nullptr && values->is_array()) {
    for (const json::value& b : values->get_array()) {
      mustache::data crumb;
      std::string ts = Text(Member(&b, "timestamp"));
      crumb.set("time", ts.size() >= 23 ? ts.substr(11, 12) : ts);
      crumb.set("iso", ts);
      crumb.set("category", Text(Member(&b, "category")));
      crumb.set("level", Text(Member(&b, "level")));
      crumb.set("message", Text(Member(&b, "message")));
      const json::value* data = Member(&b, "data");
      if (data != nullptr && !(data->is_object() && data->get_object().empty())) {
        crumb.set("data", Text(data));
      }
      crumbs.push_back(crumb);
    }
  }
  if (!crumbs.is_empty_list()) {
    e.set("breadcrumbs", crumbs);
    e.set("has_breadcrumbs", true);
  }

  if (const json::value* req = Member(root, "request"); req != nullptr && req->is_object()) {
    mustache::data request;
    if (std::string m = Text(Member(req, "method")); !m.empty()) request.set("method", m);
    request.set("url", Text(Member(req, "url")));
    // Sections and rows show only what the event has (an empty string is not "absent" to
    // mustache).
    if (std::string q = Text(Member(req, "query_string")); !q.empty()) request.set("query", q);
    mustache::data headers{mustache::data::type::list};
    if (const json::value* h = Member(req, "headers"); h != nullptr && h->is_array()) {
      for (const json::value& pair : h->get_array()) {
        if (!pair.is_array() || pair.get_array().size() != 2) continue;
        mustache::data header;
        std::string name = Text(&pair.get_array()[0]);
        header.set("key", name);
        // Cookies are credentials: their values are not shown.
        bool cookie =
            base::EqualsIgnoreCase(name, "cookie") || base::EqualsIgnoreCase(name, "authorization");
        header.set("value", cookie ? std::string("[masked]") : Text(&pair.get_array()[1]));
        headers.push_back(header);
      }
    }
    if (!headers.is_empty_list()) request.set("headers", headers);
    e.set("request", request);
  }
  if (mustache::data user = Rows(Member(root, "user")); !user.is_empty_list()) {
    e.set("user", user);
    e.set("has_user", true);
  }
  mustache::data contexts{mustache::data::type::list};
  if (const json::value* c = Member(root, "contexts"); c != nullptr && c->is_object()) {
    for (const auto& kv : c->get_object()) {
      mustache::data ctx;
      ctx.set("name", std::string(kv.key()));
      ctx.set("rows", Rows(&kv.value()));
      contexts.push_back(ctx);
    }
  }
  if (!contexts.is_empty_list()) {
    e.set("contexts", contexts);
    e.set("has_contexts", true);
  }
  mustache::data tags{mustache::data::type::list};
  for (const auto& [k, v] : r.tags) {
    mustache::data tag;
    tag.set("key", k);
    tag.set("value", v);
    tags.push_back(tag);
  }
  if (!tags.is_empty_list()) {
    e.set("tags", tags);
    e.set("has_tags", true);
  }
  if (mustache::data extra = Rows(Member(root, "extra")); !extra.is_empty_list()) {
    e.set("extra", extra);
    e.set("has_extra", true);
  }
  std::string sdk = Text(Member(Member(root, "sdk"), "name"));
  if (!sdk.empty()) e.set("sdk", sdk + " " + Text(Member(Member(root, "sdk"), "version")));
  if (!r.release.empty()) e.set("release", r.release);
  if (!r.environment.empty()) e.set("environment", r.environment);
  return e;
}

}  // namespace

http::Response Ui::IssueList(const http::Request& req, const store::Session& session,
                             const std::string& project_slug) {
  std::string_view target = req.target();
  const int64_t now = NowMs();
  mustache::data d;
  store::IssueQuery q;
  std::string heading = "Issues";
  std::string base = "/issues/";
  if (!project_slug.empty()) {
    auto project = store_.FindProjectBySlug(project_slug);
    if (!project.ok()) return Unavailable(session);
    if (!*project) return NotFound(session, "There is no project \"" + project_slug + "\".");
    q.project_id = (*project)->id;
    heading = "Issues of " + (*project)->name;
    base = "/projects/" + project_slug + "/issues/";
  }
  // An absent query means unresolved issues, an empty one all of them (as in Sentry).
  auto qpos = target.find('?');
  const bool has_query = qpos != std::string_view::npos &&
                         protocol::QueryParam(target.substr(qpos + 1), "query").has_value();
  const std::string query = has_query ? QueryParam(target, "query") : "is:unresolved";
  const std::string sort = QueryParam(target, "sort");
  const std::string environment = QueryParam(target, "environment");
  d.set("heading", heading);
  d.set("base", base);
  d.set("query", query);
  d.set("environment", environment);
  d.set("csrf", session.csrf);
  mustache::data sorts{mustache::data::type::list};
  for (auto [value, label] : {std::pair{"date", "Last seen"}, std::pair{"new", "First seen"},
                              std::pair{"freq", "Events"}, std::pair{"user", "Users"}}) {
    mustache::data s;
    s.set("value", value);
    s.set("label", label);
    s.set("selected", sort == value || (sort.empty() && std::string_view(value) == "date"));
    sorts.push_back(s);
  }
  d.set("sorts", sorts);
  base::Status st = ParseQuery(query, &q);
  auto parsed_sort = ParseSort(sort);
  if (st.ok() && !parsed_sort.ok()) st = parsed_sort.status();
  if (!st.ok()) {
    d.set("error", st.detail());
    return Page(bhttp::status::bad_request, heading, Render(kIssueListTemplate, d), session);
  }
  // Any tag can be searched (as in Sentry), so a typo reads as a tag no event has: the page
  // says so instead of answering an empty list.
  for (const store::IssueQuery::TagFilter& f : q.tags) {
    auto known = store_.HasTagKey(q.project_id, f.key);
    if (!known.ok()) return Unavailable(session);
    if (!*known) {
      d.set("error", "unknown search key \"" + f.key + "\": no event here has a tag of that name");
      return Page(bhttp::status::bad_request, heading, Render(kIssueListTemplate, d), session);
    }
  }
  q.sort = *parsed_sort;
  q.environment = environment;
  q.offset = ParseCursor(QueryParam(target, "cursor"));
  q.limit = kPageSize + 1;
  auto issues = store_.ListIssues(q);
  if (!issues.ok()) {
    if (issues.status().code() == base::Code::kInvalidArgument) {
      d.set("error", issues.status().detail());
      return Page(bhttp::status::bad_request, heading, Render(kIssueListTemplate, d), session);
    }
    return Unavailable(session);
  }
  const bool more = issues->size() > static_cast<size_t>(kPageSize);
  if (more) issues->pop_back();
  std::map<int64_t, std::string> slugs;
  if (auto projects = store_.ListProjects(); projects.ok()) {
    for (const auto& p : *projects) slugs[p.id] = p.slug;
  }
  const int64_t today = Today();
  std::vector<int64_t> ids;
  ids.reserve(issues->size());
  for (const store::Issue& i : *issues) ids.push_back(i.id);
  auto daily = store_.IssuesDailyCounts(ids, today - 13);
  if (!daily.ok()) return Unavailable(session);
  mustache::data rows{mustache::data::type::list};
  for (const store::Issue& i : *issues) {
    mustache::data row;
    auto it = daily->find(i.id);
    row.set("spark",
            Sparkline(it == daily->end() ? std::vector<std::pair<int64_t, int64_t>>{} : it->second,
                      today, 14));
    row.set("id", std::to_string(i.id));
    row.set("title", i.title);
    row.set("culprit", i.culprit);
    row.set("level", i.level);
    row.set("count", std::to_string(i.count));
    row.set("users", std::to_string(i.user_count));
    row.set("first_seen", Time(i.first_seen_ms, now));
    row.set("last_seen", Time(i.last_seen_ms, now));
    row.set("status", std::string(store::IssueStatusName(i.status)));
    if (project_slug.empty()) row.set("project", slugs[i.project_id]);
    rows.push_back(row);
  }
  if (!rows.is_empty_list()) d.set("issues", rows);
  const std::string link = base + "?query=" + UrlEncode(query) +
                           (sort.empty() ? "" : "&sort=" + UrlEncode(sort)) +
                           (environment.empty() ? "" : "&environment=" + UrlEncode(environment));
  if (q.offset > 0) {
    d.set("newer",
          link + "&cursor=0:" + std::to_string(std::max<int64_t>(0, q.offset - kPageSize)) + ":0");
  }
  if (more) d.set("older", link + "&cursor=0:" + std::to_string(q.offset + kPageSize) + ":0");
  d.set("back", std::string(target));
  return Page(bhttp::status::ok, heading, Render(kIssueListTemplate, d), session);
}

http::Response Ui::IssuePage(const store::Session& session, int64_t issue_id, int64_t offset) {
  const int64_t now = NowMs();
  auto issue = store_.FindIssue(issue_id);
  if (!issue.ok()) return Unavailable(session);
  if (!*issue) return NotFound(session, "There is no issue " + std::to_string(issue_id) + ".");
  const store::Issue& i = **issue;
  mustache::data d;
  d.set("id", std::to_string(i.id));
  d.set("title", i.title);
  d.set("culprit", i.culprit);
  d.set("level", i.level);
  d.set("status", std::string(store::IssueStatusName(i.status)));
  d.set("resolved", i.status == store::IssueStatus::kResolved);
  d.set("ignored", i.status == store::IssueStatus::kIgnored);
  d.set("unresolved", i.status == store::IssueStatus::kUnresolved);
  d.set("count", std::to_string(i.count));
  d.set("users", std::to_string(i.user_count));
  d.set("first_seen", Time(i.first_seen_ms, now));
  d.set("last_seen", Time(i.last_seen_ms, now));
  d.set("csrf", session.csrf);
  std::string slug;
  if (auto project = store_.FindProject(i.project_id); project.ok() && *project) {
    slug = (*project)->slug;
    d.set("project", slug);
  }
  const int64_t today = Today();
  auto daily = store_.IssueDailyCounts(i.id, today - 13);
  if (!daily.ok()) return Unavailable(session);
  d.set("spark", Sparkline(*daily, today, 14));
  // First and last release: of the release tag's values, the first seen and the last seen.
  auto releases = store_.IssueTagValues(i.id, "release", 1000);
  if (!releases.ok()) return Unavailable(session);
  if (!releases->empty()) {
    const store::TagValueCount* first = &releases->front();
    const store::TagValueCount* last = first;
    for (const store::TagValueCount& r : *releases) {
      if (r.first_seen_ms < first->first_seen_ms) first = &r;
      if (r.last_seen_ms > last->last_seen_ms) last = &r;
    }
    d.set("first_release", first->value);
    d.set("last_release", last->value);
  }
  // Tag distribution: the top values of each key, as a share of the issue's events.
  auto tags = store_.IssueTagValues(i.id, "", 5);
  if (!tags.ok()) return Unavailable(session);
  mustache::data keys{mustache::data::type::list};
  std::string current;
  mustache::data values{mustache::data::type::list};
  auto flush = [&] {
    if (current.empty()) return;
    mustache::data k;
    k.set("key", current);
    k.set("values", values);
    keys.push_back(k);
    values = mustache::data{mustache::data::type::list};
  };
  for (const store::TagValueCount& t : *tags) {
    if (t.key != current) {
      flush();
      current = t.key;
    }
    mustache::data v;
    v.set("value", t.value);
    v.set("count", std::to_string(t.count));
    int64_t pct = i.count > 0 ? std::min<int64_t>(100, t.count * 100 / i.count) : 0;
    v.set("pct", std::to_string(pct));
    values.push_back(v);
  }
  flush();
  if (!keys.is_empty_list()) {
    d.set("tag_keys", keys);
    d.set("has_tag_keys", true);
  }
  // Event navigation: the events newest first, `offset` the one shown.
  auto total = store_.CountIssueEvents(i.id);
  if (!total.ok()) return Unavailable(session);
  offset = std::clamp<int64_t>(offset, 0, std::max<int64_t>(0, *total - 1));
  auto events = store_.ListIssueEvents(i.id, 1, offset);
  if (!events.ok()) return Unavailable(session);
  if (!events->empty()) {
    mustache::data e = EventData(events->front());
    const std::string self = "/issues/" + std::to_string(i.id) + "/";
    auto at = [&](int64_t o) { return o == 0 ? self : self + "?event=" + std::to_string(o); };
    e.set("position", std::to_string(offset + 1));
    e.set("total", std::to_string(*total));
    if (offset > 0) {
      e.set("latest_link", at(0));
      e.set("newer_link", at(offset - 1));
    }
    if (offset + 1 < *total) {
      e.set("older_link", at(offset + 1));
      e.set("oldest_link", at(*total - 1));
    }
    e.set("events_link", self + "events/");
    if (!slug.empty()) {
      e.set("json_link", "/api/0/projects/" + slug + "/" + slug + "/events/" +
                             events->front().record.event_id + "/");
    }
    d.set("event", e);
  }
  d.set("frame", mustache::partial([] { return std::string(kFramePartial); }));
  d.set("frame_head", mustache::partial([] { return std::string(kFrameHeadPartial); }));
  d.set("frame_body", mustache::partial([] { return std::string(kFrameBodyPartial); }));
  return Page(bhttp::status::ok, i.title, Render(kIssueTemplate, d), session);
}

http::Response Ui::SetStatus(const http::Request& req, const store::Session& session,
                             std::vector<int64_t> ids, const std::string& back) {
  const std::string& body = req.body();
  if (!CsrfMatches(FormField(body, "csrf", 128), session.csrf) ||
      !SameOrigin(req, config_.server.public_url)) {
    return CsrfRefused(session);
  }
  auto status = store::ParseIssueStatus(FormField(body, "status", 16));
  if (!status) {
    return Page(bhttp::status::bad_request, "Bad request",
                "<p>The form named no status (resolved, ignored or unresolved).</p>", session);
  }
  for (int64_t id : ids) {
    base::Status st = store_.SetIssueStatus(id, *status);
    if (!st.ok() && st.code() != base::Code::kNotFound) return Unavailable(session);
  }
  return Redirect(SafeNext(back));
}

http::Response Ui::IssueEvents(const http::Request& req, const store::Session& session,
                               int64_t issue_id) {
  const int64_t now = NowMs();
  auto issue = store_.FindIssue(issue_id);
  if (!issue.ok()) return Unavailable(session);
  if (!*issue) return NotFound(session, "There is no issue " + std::to_string(issue_id) + ".");
  const int64_t offset = ParseCursor(QueryParam(req.target(), "cursor"));
  auto events = store_.ListIssueEvents(issue_id, kPageSize + 1, offset);
  if (!events.ok()) return Unavailable(session);
  const bool more = events->size() > static_cast<size_t>(kPageSize);
  if (more) events->pop_back();
  mustache::data d;
  const std::string self = "/issues/" + std::to_string(issue_id) + "/";
  d.set("id", std::to_string(issue_id));
  d.set("title", (*issue)->title);
  d.set("issue_link", self);
  mustache::data rows{mustache::data::type::list};
  int64_t n = offset;
  for (const store::StoredEvent& e : *events) {
    mustache::data row;
    row.set("link", n == 0 ? self : self + "?event=" + std::to_string(n));
    row.set("event_id", e.record.event_id);
    row.set("time", Time(e.record.timestamp_ms, now));
    row.set("message", e.record.message.empty() ? e.record.title : e.record.message);
    row.set("release", e.record.release);
    row.set("environment", e.record.environment);
    rows.push_back(row);
    ++n;
  }
  d.set("events", rows);
  const std::string page = self + "events/?cursor=0:";
  if (offset > 0) {
    d.set("newer", page + std::to_string(std::max<int64_t>(0, offset - kPageSize)) + ":0");
  }
  if (more) d.set("older", page + std::to_string(offset + kPageSize) + ":0");
  return Page(bhttp::status::ok, "Events of " + (*issue)->title, Render(kEventListTemplate, d),
              session);
}

std::vector<int64_t> Ui::SelectedIssues(std::string_view body) {
  std::vector<int64_t> ids;
  for (const std::string& v : FormValues(body, "issue")) {
    int64_t id = 0;
    if (ParseId(v, &id) && ids.size() < 1000) ids.push_back(id);
  }
  return ids;
}

}  // namespace ferry::web
