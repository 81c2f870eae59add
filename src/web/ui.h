// The web UI: server-rendered pages of the built-in store, served by the instance itself
// (docs/ui.md). Every handler runs on a worker thread, as the API's do. On a tunnel-only host
// (store disabled) there is no Ui and every path stays the tunnel's.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/types.h"
#include "store/store.h"
#include "web/auth.h"

namespace ferry::web {

class Ui {
 public:
  Ui(const config::Config& config, store::Store& store, boost::asio::thread_pool& workers);

  // Forms are a few fields; a larger body is not one of ours (413).
  static constexpr size_t kMaxFormBytes = 16 * 1024;

  // True for the UI's paths.
  static bool Matches(std::string_view path);

  void Handle(http::IncomingRequest in, http::Respond respond);

  // The answer for one request; blocking (runs SQL and password hashing). Public for tests.
  http::Response Answer(const http::Request& request, std::string_view peer_ip);

 private:
  http::Response LoginPage(const http::Request& request, std::string_view peer_ip);
  http::Response Login(const http::Request& request, std::string_view peer_ip);
  http::Response Logout(const http::Request& request);
  http::Response Overview(const store::Session& session);
  http::Response ProjectSettings(const http::Request& request, const store::Session& session,
                                 const std::string& slug);
  http::Response CreateProject(const http::Request& request, const store::Session& session);
  // ui_issues.cc
  http::Response IssueList(const http::Request& request, const store::Session& session,
                           const std::string& project_slug);
  // The issue with its `offset`-th newest event (0: the latest).
  http::Response IssuePage(const store::Session& session, int64_t issue_id, int64_t offset);
  http::Response IssueEvents(const http::Request& request, const store::Session& session,
                             int64_t issue_id);
  http::Response SetStatus(const http::Request& request, const store::Session& session,
                           std::vector<int64_t> ids, const std::string& back);
  static std::vector<int64_t> SelectedIssues(std::string_view body);

  const config::Config& config_;
  store::Store& store_;
  boost::asio::thread_pool& workers_;
  const bool secure_;  // cookies marked Secure: served over https
  LoginThrottle by_address_;
  LoginThrottle by_account_;
};

// The headers every page carries: a strict Content-Security-Policy (no inline script or
// style, nothing from elsewhere), no framing, no sniffing, no referrer to other sites, no
// caching of what a signed-in user saw.
void SetPageHeaders(http::Response& res);

}  // namespace ferry::web
