// What the UI's handlers share: rendering a page in the layout, redirects, form fields and the
// checks every form passes. (ui.cc: sign-in and projects; ui_issues.cc: issues.)
#pragma once

#include <kainjow/mustache.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/types.h"
#include "store/store.h"

namespace ferry::web {

// `s` percent-encoded for a query value ('/' and ':' kept, as in paths and cursors).
std::string UrlEncode(std::string_view s);
std::string Render(std::string_view templ, const kainjow::mustache::data& data);
// `body` (HTML ferry rendered, its values escaped) inside the layout, with the page headers.
http::Response Page(http::bhttp::status status, const std::string& title, const std::string& body,
                    const std::optional<store::Session>& session);
http::Response Redirect(const std::string& location);
http::Response Unavailable(const std::optional<store::Session>& session);
http::Response NotFound(const store::Session& session, const std::string& what);
http::Response CsrfRefused(const store::Session& session);
// Events per day as a small bar chart (an inline SVG of numbers only, no script or style):
// `days` bars ending with `last_day`, with the counts in its accessible name.
std::string Sparkline(const std::vector<std::pair<int64_t, int64_t>>& daily, int64_t last_day,
                      int days);
int64_t Today();
// A path on this site only ("/x", never "//host" or "/\host"); "/" otherwise.
std::string SafeNext(std::string_view next);
// Form field `name` of an urlencoded body, "" when absent or longer than `max`.
std::string FormField(std::string_view body, std::string_view name, size_t max);
// False for a request whose Origin names another site.
bool SameOrigin(const http::Request& req, const std::string& public_url);

}  // namespace ferry::web
