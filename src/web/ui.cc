#include "web/ui.h"

#include <boost/asio/post.hpp>
#include <cctype>
#include <cstdio>
#include <kainjow/mustache.hpp>

#include "base/log.h"
#include "base/strings.h"
#include "protocol/auth.h"
#include "store/credentials.h"
#include "web/search.h"
#include "web/ui_assets.h"
#include "web/ui_page.h"

namespace ferry::web {

namespace bhttp = http::bhttp;
namespace mustache = kainjow::mustache;

namespace {

constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxPasswordBytes = 1024;

std::string Seconds(LoginThrottle::Clock::duration d) {
  auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return std::to_string(std::max<int64_t>(1, s));
}

}  // namespace

std::string Render(std::string_view templ, const mustache::data& data) {
  mustache::mustache m{std::string(templ)};
  return m.render(data);
}

http::Response Page(bhttp::status status, const std::string& title, const std::string& body,
                    const std::optional<store::Session>& session) {
  mustache::data page;
  page.set("title", title);
  page.set("body", body);
  if (session) {
    mustache::data user;
    user.set("email", session->user.email);
    user.set("csrf", session->csrf);
    page.set("user", user);
  }
  http::Response res{status, 11};
  res.set(bhttp::field::content_type, "text/html; charset=utf-8");
  res.body() = Render(kLayoutTemplate, page);
  SetPageHeaders(res);
  return res;
}

http::Response Redirect(const std::string& location) {
  http::Response res{bhttp::status::see_other, 11};
  res.set(bhttp::field::location, location);
  SetPageHeaders(res);
  return res;
}

std::string SafeNext(std::string_view next) {
  if (next.empty() || next.front() != '/' || next.size() > 2048) return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20) return "/";
  }
  return std::string(next);
}

std::string FormField(std::string_view body, std::string_view name, size_t max) {
  std::string v = protocol::QueryParam(body, name).value_or("");
  return v.size() > max ? "" : v;
}

// (SameSite=Lax already keeps the session cookie off cross-site posts; this also covers the
// sign-in form itself.)
bool SameOrigin(const http::Request& req, const std::string& public_url) {
  std::string_view origin = req[bhttp::field::origin];
  if (origin.empty()) return true;
  std::string_view host = req[bhttp::field::host];
  if (origin == "http://" + std::string(host) || origin == "https://" + std::string(host)) {
    return true;
  }
  return !public_url.empty() && public_url.rfind(std::string(origin), 0) == 0 &&
         (public_url.size() == origin.size() || public_url[origin.size()] == '/');
}

int64_t Today() { return NowMs() / 86'400'000; }

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Sparkline(const std::vector<std::pair<int64_t, int64_t>>& daily, int64_t last_day,
                      int days) {
  std::vector<int64_t> counts(static_cast<size_t>(days), 0);
  for (const auto& [day, n] : daily) {
    int64_t i = day - (last_day - days + 1);
    if (i >= 0 && i < days) counts[static_cast<size_t>(i)] += n;
  }
  int64_t max = 1;
  for (int64_t n : counts) max = std::max(max, n);
  constexpr int kBar = 4, kHeight = 16;
  std::string label, bars;
  for (int i = 0; i < days; ++i) {
    int64_t n = counts[static_cast<size_t>(i)];
    label += (i > 0 ? ", " : "") + std::to_string(n);
    int h = n == 0 ? 1 : std::max<int>(2, static_cast<int>(n * kHeight / max));
    bars += "<rect x=\"" + std::to_string(i * kBar) + "\" y=\"" + std::to_string(kHeight - h) +
            "\" width=\"" + std::to_string(kBar - 1) + "\" height=\"" + std::to_string(h) + "\"" +
            (n == 0 ? " class=\"zero\"" : "") + "/>";
  }
  return "<svg class=\"spark\" viewBox=\"0 0 " + std::to_string(days * kBar) + " " +
         std::to_string(kHeight) + "\" width=\"" + std::to_string(days * kBar * 2) +
         "\" height=\"" + std::to_string(kHeight * 2) +
         "\" role=\"img\" aria-label=\"events per day, last " + std::to_string(days) +
         " days: " + label + "\">" + bars + "</svg>";
}

http::Response Unavailable(const std::optional<store::Session>& session) {
  return Page(bhttp::status::service_unavailable, "Unavailable",
              "<p>The store is unavailable; try again in a moment.</p>", session);
}

http::Response NotFound(const store::Session& session, const std::string& what) {
  kainjow::mustache::data d;
  d.set("what", what);
  return Page(bhttp::status::not_found, "Not found", Render("<p>{{what}}</p>", d), session);
}

http::Response CsrfRefused(const store::Session& session) {
  return Page(bhttp::status::forbidden, "Refused",
              "<p>This request did not carry this page's form token (CSRF) and was refused. "
              "Go back, reload the page and try again.</p>",
              session);
}

void SetPageHeaders(http::Response& res) {
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.set("X-Frame-Options", "DENY");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "same-origin");
  res.set(bhttp::field::cache_control, "no-store");
}

Ui::Ui(const config::Config& config, store::Store& store, boost::asio::thread_pool& workers)
    : config_(config),
      store_(store),
      workers_(workers),
      secure_(config.server.public_url.rfind("https://", 0) == 0 ||
              !config.server.tls.cert_file.empty()),
      by_address_(20, std::chrono::minutes(15)),
      by_account_(5, std::chrono::minutes(15)) {}

bool Ui::Matches(std::string_view path) {
  return path == "/" || path == "/login" || path == "/logout" || path.rfind("/static/", 0) == 0 ||
         path.rfind("/issues/", 0) == 0 || path.rfind("/projects/", 0) == 0 ||
         path.rfind("/settings/", 0) == 0;
}

void Ui::Handle(http::IncomingRequest in, http::Respond respond) {
  auto request = std::make_shared<http::Request>(std::move(in.request));
  boost::asio::post(workers_, [this, request, respond, peer = std::move(in.peer_ip)] {
    respond(Answer(*request, peer));
  });
}

http::Response Ui::Answer(const http::Request& req, std::string_view peer_ip) {
  std::string_view target = req.target();
  std::string path(target.substr(0, target.find('?')));
  const auto method = req.method();
  const bool get = method == bhttp::verb::get || method == bhttp::verb::head;
  auto not_allowed = [](std::string_view allow) {
    auto res = http::JsonError(bhttp::status::method_not_allowed, "method not allowed");
    res.set(bhttp::field::allow, allow);
    return res;
  };
  if (path.rfind("/static/", 0) == 0) {
    if (!get) return not_allowed("GET, HEAD");
    auto asset = FindAsset(path.substr(8));
    if (!asset) return http::JsonError(bhttp::status::not_found, "no such file: " + path);
    http::Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, asset->content_type);
    res.set(bhttp::field::cache_control, "public, max-age=3600");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = std::string(asset->body);
    return res;
  }
  if (method == bhttp::verb::post && req.body().size() > Ui::kMaxFormBytes) {
    return http::JsonError(bhttp::status::payload_too_large,
                           "form body exceeds " + std::to_string(Ui::kMaxFormBytes) + " bytes");
  }
  if (path == "/login") {
    if (get) return LoginPage(req, peer_ip);
    if (method == bhttp::verb::post) return Login(req, peer_ip);
    return not_allowed("GET, HEAD, POST");
  }
  if (path == "/logout") {
    if (method == bhttp::verb::post) return Logout(req);
    return not_allowed("POST");
  }
  // Every other page needs a signed-in user; without one, the sign-in page brings them back.
  auto session = SessionOf(store_, req, NowMs());
  if (!session.ok()) {
    return Unavailable(std::nullopt);
  }
  if (!*session) {
    return Redirect("/login?next=" + UrlEncode(target));
  }
  if (path == "/") {
    if (!get) return not_allowed("GET, HEAD");
    return Overview(**session);
  }
  const store::Session& s = **session;
  std::vector<std::string> seg;
  for (size_t i = 1; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    seg.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  const bool slash = path.back() == '/';
  int64_t id = 0;
  if (slash && seg.size() == 1 && seg[0] == "issues") {
    if (!get) return not_allowed("GET, HEAD");
    return IssueList(req, s, "");
  }
  if (slash && seg.size() == 3 && seg[0] == "projects" && seg[2] == "issues") {
    if (!get) return not_allowed("GET, HEAD");
    return IssueList(req, s, seg[1]);
  }
  if (slash && seg.size() == 2 && seg[0] == "settings" && seg[1] == "projects") {
    if (get) return ProjectSettings(req, s, "");
    if (method == bhttp::verb::post) return CreateProject(req, s);
    return not_allowed("GET, HEAD, POST");
  }
  if (slash && seg.size() == 3 && seg[0] == "settings" && seg[1] == "projects") {
    if (!get) return not_allowed("GET, HEAD");
    return ProjectSettings(req, s, seg[2]);
  }
  if (seg.size() == 2 && seg[0] == "issues" && seg[1] == "bulk") {
    if (method != bhttp::verb::post) return not_allowed("POST");
    return SetStatus(req, s, SelectedIssues(req.body()), FormField(req.body(), "back", 2048));
  }
  if (slash && seg.size() == 2 && seg[0] == "issues" && ParseId(seg[1], &id)) {
    if (!get) return not_allowed("GET, HEAD");
    int64_t offset = 0;
    if (!ParseId(QueryParam(target, "event"), &offset)) offset = 0;
    return IssuePage(s, id, offset);
  }
  if (slash && seg.size() == 3 && seg[0] == "issues" && ParseId(seg[1], &id) &&
      seg[2] == "events") {
    if (!get) return not_allowed("GET, HEAD");
    return IssueEvents(req, s, id);
  }
  if (seg.size() == 3 && seg[0] == "issues" && ParseId(seg[1], &id) && seg[2] == "status") {
    if (method != bhttp::verb::post) return not_allowed("POST");
    return SetStatus(req, s, {id}, "/issues/" + seg[1] + "/");
  }
  return http::JsonError(bhttp::status::not_found, "no such page: " + path);
}

namespace {

struct LoginForm {
  std::string email;
  std::string next = "/";
  std::string error;
};

http::Response LoginFormPage(store::Store& store, bhttp::status status, const LoginForm& f) {
  mustache::data d;
  d.set("email", f.email);
  d.set("next", f.next);
  if (!f.error.empty()) d.set("error", f.error);
  auto users = store.ListUsers();
  if (users.ok() && users->empty()) d.set("no_users", true);
  return Page(status, "Sign in", Render(kLoginTemplate, d), std::nullopt);
}

}  // namespace

http::Response Ui::LoginPage(const http::Request& req, std::string_view /*peer_ip*/) {
  auto session = SessionOf(store_, req, NowMs());
  std::string_view target = req.target();
  auto q = target.find('?');
  std::string next =
      SafeNext(q == std::string_view::npos
                   ? ""
                   : protocol::QueryParam(target.substr(q + 1), "next").value_or(""));
  if (session.ok() && *session) return Redirect(next);
  return LoginFormPage(store_, bhttp::status::ok, LoginForm{"", next, ""});
}

http::Response Ui::Login(const http::Request& req, std::string_view peer_ip) {
  const std::string& body = req.body();
  LoginForm form;
  form.email = base::AsciiLower(base::Trim(FormField(body, "email", kMaxEmailBytes)));
  form.next = SafeNext(FormField(body, "next", 2048));
  const std::string password = FormField(body, "password", kMaxPasswordBytes);
  if (!SameOrigin(req, config_.server.public_url)) {
    form.error = "This sign-in came from another site's page and was refused.";
    return LoginFormPage(store_, bhttp::status::forbidden, form);
  }
  const auto now = LoginThrottle::Clock::now();
  const std::string address_key(peer_ip);
  const std::string account_key = "account:" + form.email;
  auto wait =
      std::max(by_address_.RetryAfter(address_key, now), by_account_.RetryAfter(account_key, now));
  if (wait > LoginThrottle::Clock::duration::zero()) {
    form.error = "Too many failed sign-ins. Try again in " + Seconds(wait) + " seconds.";
    auto res = LoginFormPage(store_, bhttp::status::too_many_requests, form);
    res.set(bhttp::field::retry_after, Seconds(wait));
    return res;
  }
  auto user = store_.FindUserByEmail(form.email);
  if (!user.ok()) {
    form.error = "The store is unavailable: " + user.status().detail();
    return LoginFormPage(store_, bhttp::status::service_unavailable, form);
  }
  // The same work whether or not the account exists: the answer and its time say nothing
  // about which emails have accounts.
  static const std::string kNoAccountHash = [] {
    auto hash = store::HashPassword("no account");
    return hash.ok() ? *hash : std::string();
  }();
  const std::string& hash = *user ? (*user)->password_hash : kNoAccountHash;
  const bool ok = !password.empty() && store::VerifyPassword(password, hash) && *user;
  if (!ok) {
    by_address_.RecordFailure(address_key, now);
    by_account_.RecordFailure(account_key, now);
    base::Log(base::LogLevel::kInfo, "sign-in failed", {{"client", address_key}});
    form.error = "Wrong email or password.";
    return LoginFormPage(store_, bhttp::status::unauthorized, form);
  }
  by_account_.Clear(account_key);
  const std::string token = store::NewToken();
  base::Status st = store_.CreateSession((*user)->id, store::TokenSha256(token), store::NewToken(),
                                         NowMs() + kSessionLifetimeMs);
  if (!st.ok()) {
    form.error = "The store is unavailable: " + st.detail();
    return LoginFormPage(store_, bhttp::status::service_unavailable, form);
  }
  auto res = Redirect(form.next);
  res.set(bhttp::field::set_cookie, SessionCookie(token, secure_));
  return res;
}

http::Response Ui::Overview(const store::Session& session) {
  auto projects = store_.ListProjects();
  if (!projects.ok()) {
    return Unavailable(session);
  }
  mustache::data list{mustache::data::type::list};
  const int64_t now = NowMs(), today = Today();
  for (const store::Project& p : *projects) {
    auto stats = store_.GetProjectStats(p.id, now, today - 13);
    if (!stats.ok()) return Unavailable(session);
    int64_t days14 = 0;
    for (const auto& [day, n] : stats->daily) days14 += n;
    mustache::data item;
    item.set("open", std::to_string(stats->open_issues));
    item.set("events_24h", std::to_string(stats->events_24h));
    item.set("events_14d", std::to_string(days14));
    item.set("spark", Sparkline(stats->daily, today, 14));
    item.set("name", p.name);
    item.set("slug", p.slug);
    item.set("platform", p.platform.empty() ? "any platform" : p.platform);
    mustache::data keys{mustache::data::type::list};
    for (const store::ProjectKey& k : p.keys) {
      mustache::data key;
      key.set("dsn", store::DsnFor(config_.server.public_url, k));
      key.set("enabled", k.enabled);
      keys.push_back(key);
    }
    item.set("keys", keys);
    list.push_back(item);
  }
  mustache::data d;
  d.set("projects", list);
  return Page(bhttp::status::ok, "Projects", Render(kOverviewTemplate, d), session);
}

http::Response Ui::ProjectSettings(const http::Request& req, const store::Session& session,
                                   const std::string& slug) {
  auto projects = store_.ListProjects();
  if (!projects.ok()) return Unavailable(session);
  mustache::data d;
  d.set("csrf", session.csrf);
  d.set("superuser", session.user.superuser);
  std::string tunnel;
  if (config_.tunnel.enabled && !config_.tunnel.paths.empty()) {
    tunnel = config_.tunnel.paths.front();
    if (!tunnel.empty() && tunnel.back() == '*') tunnel.pop_back();
    tunnel = config_.server.public_url + tunnel;
  }
  mustache::data list{mustache::data::type::list};
  bool found = slug.empty();
  for (const store::Project& p : *projects) {
    mustache::data item;
    item.set("name", p.name);
    item.set("slug", p.slug);
    item.set("platform", p.platform.empty() ? "any platform" : p.platform);
    item.set("current", p.slug == slug);
    mustache::data keys{mustache::data::type::list};
    for (const store::ProjectKey& k : p.keys) {
      mustache::data key;
      const std::string dsn = store::DsnFor(config_.server.public_url, k);
      key.set("dsn", dsn);
      key.set("enabled", k.enabled);
      // The SDK snippet: Sentry.init with the DSN, and the tunnel when this host runs one.
      key.set("snippet", "Sentry.init({\n  dsn: \"" + dsn + "\"," +
                             (tunnel.empty() ? "" : "\n  tunnel: \"" + tunnel + "\",") + "\n});");
      keys.push_back(key);
    }
    item.set("keys", keys);
    list.push_back(item);
    found = found || p.slug == slug;
  }
  if (!found) return NotFound(session, "There is no project \"" + slug + "\".");
  d.set("projects", list);
  std::string_view target = req.target();
  if (auto created = QueryParam(target, "created"); !created.empty()) d.set("created", created);
  return Page(bhttp::status::ok, "Project settings", Render(kProjectSettingsTemplate, d), session);
}

http::Response Ui::CreateProject(const http::Request& req, const store::Session& session) {
  const std::string& body = req.body();
  if (!CsrfMatches(FormField(body, "csrf", 128), session.csrf) ||
      !SameOrigin(req, config_.server.public_url)) {
    return CsrfRefused(session);
  }
  if (!session.user.superuser) {
    return Page(bhttp::status::forbidden, "Refused", "<p>Only a superuser can create projects.</p>",
                session);
  }
  auto project = store_.CreateProject(std::string(base::Trim(FormField(body, "name", 200))),
                                      std::string(base::Trim(FormField(body, "platform", 64))));
  if (!project.ok()) {
    if (project.status().code() != base::Code::kInvalidArgument) return Unavailable(session);
    mustache::data d;
    d.set("error", project.status().detail());
    return Page(bhttp::status::bad_request, "Project not created",
                Render("<p class=\"error\" role=\"alert\">{{error}}</p>"
                       "<p><a href=\"/settings/projects/\">Back to the projects</a></p>",
                       d),
                session);
  }
  return Redirect("/settings/projects/" + project->slug + "/?created=" + project->slug);
}

http::Response Ui::Logout(const http::Request& req) {
  auto session = SessionOf(store_, req, NowMs());
  if (!session.ok()) {
    return Unavailable(std::nullopt);
  }
  if (!*session) return Redirect("/login");
  const std::string& body = req.body();
  if (!CsrfMatches(FormField(body, "csrf", 128), (*session)->csrf) ||
      !SameOrigin(req, config_.server.public_url)) {
    return CsrfRefused(**session);
  }
  base::Status st = FormField(body, "everywhere", 8) == "1"
                        ? store_.DeleteUserSessions((*session)->user.id)
                        : store_.DeleteSession(store::TokenSha256(
                              CookieValue(req[bhttp::field::cookie], kSessionCookie)));
  if (!st.ok()) {
    return Page(bhttp::status::service_unavailable, "Unavailable",
                "<p>The store is unavailable; you are still signed in.</p>", session.value());
  }
  auto res = Redirect("/login");
  res.set(bhttp::field::set_cookie, SessionCookie("", secure_));
  return res;
}

}  // namespace ferry::web
