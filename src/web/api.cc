#include "web/api.h"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "event/tags.h"
#include "protocol/auth.h"
#include "store/credentials.h"
#include "web/api_json.h"
#include "web/auth.h"
#include "web/search.h"

namespace ferry::web {

namespace bhttp = http::bhttp;
namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "/api/0/";
constexpr int kMaxLimit = 100;

http::Response JsonResponse(bhttp::status status, const json::value& body) {
  http::Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = json::serialize(body);
  return res;
}

http::Response Error(bhttp::status status, std::string_view detail) {
  return http::JsonError(status, detail);
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// "24h", "14d", "30m", "2w" → milliseconds; 0 when empty or unreadable.
int64_t ParsePeriodMs(std::string_view s) {
  if (s.size() < 2) return 0;
  int64_t n = 0;
  if (!ParseId(s.substr(0, s.size() - 1), &n)) return 0;
  switch (s.back()) {
    case 's':
      return n * 1000;
    case 'm':
      return n * 60'000;
    case 'h':
      return n * 3'600'000;
    case 'd':
      return n * 86'400'000;
    case 'w':
      return n * 7 * 86'400'000;
  }
  return 0;
}

void SetLink(http::Response& res, const std::string& base, int64_t offset, int limit, bool more) {
  auto cursor = [](int64_t o) { return "0:" + std::to_string(o) + ":0"; };
  auto prev = std::max<int64_t>(0, offset - limit);
  res.set(bhttp::field::link,
          "<" + base + "&cursor=" + cursor(prev) + ">; rel=\"previous\"; results=\"" +
              (offset > 0 ? "true" : "false") + "\"; cursor=\"" + cursor(prev) + "\", <" + base +
              "&cursor=" + cursor(offset + limit) + ">; rel=\"next\"; results=\"" +
              (more ? "true" : "false") + "\"; cursor=\"" + cursor(offset + limit) + "\"");
}

}  // namespace

Api::Api(const config::Config& config, store::Store& store, boost::asio::thread_pool& workers)
    : config_(config), store_(store), workers_(workers) {}

bool Api::Matches(std::string_view path) { return path.substr(0, kPrefix.size()) == kPrefix; }

void Api::Handle(http::IncomingRequest in, http::Respond respond) {
  auto request = std::make_shared<http::Request>(std::move(in.request));
  boost::asio::post(workers_, [this, request, respond] { respond(Answer(*request)); });
}

http::Response Api::Answer(const http::Request& req) {
  std::string_view target = req.target();
  std::string path(target.substr(0, target.find('?')));
  auto auth = req[bhttp::field::authorization];
  base::Result<std::optional<store::User>> user = std::optional<store::User>();
  if (base::EqualsIgnoreCase(auth.substr(0, 7), "bearer ")) {
    user = store_.FindUserByToken(store::TokenSha256(base::Trim(auth.substr(7))));
    if (!user.ok()) return Error(bhttp::status::service_unavailable, user.status().detail());
    if (!*user) return Error(bhttp::status::unauthorized, "invalid token");
  } else {
    // The UI's session cookie, as in Sentry; what changes state also needs the session's
    // CSRF token in X-CSRFToken, which another site's page cannot read.
    auto session = SessionOf(store_, req, NowMs());
    if (!session.ok()) return Error(bhttp::status::service_unavailable, session.status().detail());
    if (!*session) {
      return Error(bhttp::status::unauthorized,
                   "authentication required: send Authorization: Bearer <token>");
    }
    const auto m = req.method();
    if (m != bhttp::verb::get && m != bhttp::verb::head &&
        !CsrfMatches(req["X-CSRFToken"], (*session)->csrf)) {
      return Error(bhttp::status::forbidden, "CSRF token missing or wrong (X-CSRFToken)");
    }
    user = std::optional<store::User>((*session)->user);
  }

  auto seg = Segments(std::string_view(path).substr(kPrefix.size()));
  const auto method = req.method();
  auto not_allowed = [](std::string_view allow) {
    auto res = Error(bhttp::status::method_not_allowed, "method not allowed");
    res.set(bhttp::field::allow, allow);
    return res;
  };
  auto project_by_slug = [&](const std::string& slug) -> base::Result<store::Project> {
    auto p = store_.FindProjectBySlug(slug);
    if (!p.ok()) return p.status();
    if (!*p) return base::NotFound("no project \"" + slug + "\"");
    return **p;
  };
  auto fail = [](const base::Status& st) {
    auto code = st.code() == base::Code::kNotFound          ? bhttp::status::not_found
                : st.code() == base::Code::kInvalidArgument ? bhttp::status::bad_request
                                                            : bhttp::status::service_unavailable;
    return Error(code, st.detail());
  };

  // GET /api/0/projects/
  if (seg.size() == 1 && seg[0] == "projects") {
    if (method != bhttp::verb::get) return not_allowed("GET");
    auto projects = store_.ListProjects();
    if (!projects.ok()) return fail(projects.status());
    json::array out;
    for (const auto& p : *projects) out.push_back(ProjectJson(p));
    return JsonResponse(bhttp::status::ok, out);
  }
  // GET /api/0/projects/{org}/{project}/issues/
  if (seg.size() == 4 && seg[0] == "projects" && seg[3] == "issues") {
    if (method != bhttp::verb::get) return not_allowed("GET");
    auto project = project_by_slug(seg[2]);
    if (!project.ok()) return fail(project.status());
    store::IssueQuery q;
    q.project_id = project->id;
    // Like Sentry, an absent query means unresolved issues; an empty one means all.
    auto qpos = target.find('?');
    bool has_query = qpos != std::string_view::npos &&
                     protocol::QueryParam(target.substr(qpos + 1), "query").has_value();
    auto st = ParseQuery(has_query ? QueryParam(target, "query") : "is:unresolved", &q);
    if (!st.ok()) return fail(st);
    auto sort = ParseSort(QueryParam(target, "sort"));
    if (!sort.ok()) return fail(sort.status());
    q.sort = *sort;
    q.environment = QueryParam(target, "environment");
    if (int64_t period = ParsePeriodMs(QueryParam(target, "statsPeriod")); period > 0) {
      q.since_ms = NowMs() - period;
    }
    int64_t limit = kMaxLimit;
    if (auto l = QueryParam(target, "limit"); !l.empty() && ParseId(l, &limit)) {
      limit = std::clamp<int64_t>(limit, 1, kMaxLimit);
    }
    q.limit = static_cast<int>(limit) + 1;  // one more tells whether there is a next page
    q.offset = ParseCursor(QueryParam(target, "cursor"));
    auto issues = store_.ListIssues(q);
    if (!issues.ok()) return fail(issues.status());
    bool more = issues->size() > static_cast<size_t>(limit);
    if (more) issues->pop_back();
    json::array out;
    for (const auto& issue : *issues)
      out.push_back(IssueJson(issue, *project, config_.server.public_url));
    auto res = JsonResponse(bhttp::status::ok, out);
    SetLink(res, config_.server.public_url + path + "?query=" + QueryParam(target, "query"),
            q.offset, static_cast<int>(limit), more);
    return res;
  }
  // GET /api/0/projects/{org}/{project}/events/{event_id}/
  if (seg.size() == 5 && seg[0] == "projects" && seg[3] == "events") {
    if (method != bhttp::verb::get) return not_allowed("GET");
    auto project = project_by_slug(seg[2]);
    if (!project.ok()) return fail(project.status());
    std::string id;
    for (char c : seg[4]) {
      if (c != '-') id += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    auto event = store_.FindEvent(project->id, id);
    if (!event.ok()) return fail(event.status());
    if (!*event) return Error(bhttp::status::not_found, "no event " + seg[4]);
    return JsonResponse(bhttp::status::ok, EventJson(**event));
  }
  // /api/0/issues/{id}/...
  int64_t issue_id = 0;
  if (seg.size() >= 2 && seg[0] == "issues" && ParseId(seg[1], &issue_id)) {
    auto issue = store_.FindIssue(issue_id);
    if (!issue.ok()) return fail(issue.status());
    if (!*issue) return Error(bhttp::status::not_found, "no issue " + seg[1]);
    auto project = store_.FindProject((*issue)->project_id);
    if (!project.ok()) return fail(project.status());
    if (!*project) return Error(bhttp::status::not_found, "no project for issue " + seg[1]);
    if (seg.size() == 2) {
      if (method == bhttp::verb::put) {
        boost::system::error_code ec;
        auto body = json::parse(req.body(), ec);
        const json::value* status =
            ec || !body.is_object() ? nullptr : body.as_object().if_contains("status");
        auto parsed = status && status->is_string()
                          ? store::ParseIssueStatus(std::string(status->as_string()))
                          : std::nullopt;
        if (!parsed) {
          return Error(bhttp::status::bad_request,
                       "expected {\"status\": \"resolved\" | \"unresolved\" | \"ignored\"}");
        }
        auto st = store_.SetIssueStatus(issue_id, *parsed);
        if (!st.ok()) return fail(st);
        issue = store_.FindIssue(issue_id);
        if (!issue.ok() || !*issue) return fail(base::NotFound("no issue " + seg[1]));
      } else if (method != bhttp::verb::get) {
        return not_allowed("GET, PUT");
      }
      return JsonResponse(bhttp::status::ok,
                          IssueJson(**issue, **project, config_.server.public_url));
    }
    if (method != bhttp::verb::get) return not_allowed("GET");
    if (seg.size() == 3 && seg[2] == "events") {
      int64_t offset = ParseCursor(QueryParam(target, "cursor"));
      auto events = store_.ListIssueEvents(issue_id, kMaxLimit + 1, offset);
      if (!events.ok()) return fail(events.status());
      bool more = events->size() > static_cast<size_t>(kMaxLimit);
      if (more) events->pop_back();
      json::array out;
      for (const auto& e : *events) out.push_back(EventSummaryJson(e));
      auto res = JsonResponse(bhttp::status::ok, out);
      SetLink(res, config_.server.public_url + path + "?", offset, kMaxLimit, more);
      return res;
    }
    if (seg.size() == 4 && seg[2] == "events" && seg[3] == "latest") {
      auto events = store_.ListIssueEvents(issue_id, 1, 0);
      if (!events.ok()) return fail(events.status());
      if (events->empty()) return Error(bhttp::status::not_found, "the issue has no events");
      auto full = store_.FindEvent((*issue)->project_id, events->front().record.event_id);
      if (!full.ok()) return fail(full.status());
      if (!*full) return Error(bhttp::status::not_found, "the issue has no events");
      return JsonResponse(bhttp::status::ok, EventJson(**full));
    }
  }
  return Error(bhttp::status::not_found, "no such endpoint: " + path);
}

}  // namespace ferry::web
