#include "server/cors.h"

#include <algorithm>

namespace ferry::server {

namespace bhttp = http::bhttp;

Cors::Cors(std::vector<std::string> allowed_origins) : origins_(std::move(allowed_origins)) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

std::string Cors::AllowOrigin(std::string_view origin) const {
  if (any_) return "*";
  if (origin.empty()) return "";
  if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end()) {
    return std::string(origin);
  }
  return "";
}

void Cors::Decorate(std::string_view origin, http::Response& res) const {
  auto allow = AllowOrigin(origin);
  if (allow.empty()) return;
  if (allow != "*") res.set(bhttp::field::vary, "Origin");
  res.set(bhttp::field::access_control_allow_origin, allow);
  res.set(bhttp::field::access_control_expose_headers,
          "x-sentry-error, x-sentry-rate-limits, retry-after");
}

http::Response Cors::Preflight(std::string_view origin) const {
  http::Response res{bhttp::status::no_content, 11};
  auto allow = AllowOrigin(origin);
  if (allow.empty()) return res;  // no CORS headers: the browser refuses the request
  if (allow != "*") res.set(bhttp::field::vary, "Origin");
  res.set(bhttp::field::access_control_allow_origin, allow);
  res.set(bhttp::field::access_control_allow_methods, "POST, OPTIONS");
  res.set(bhttp::field::access_control_allow_headers,
          "x-sentry-auth, x-requested-with, origin, accept, content-type, content-encoding, "
          "authorization, sentry-trace, baggage");
  res.set(bhttp::field::access_control_max_age, "3600");
  return res;
}

}  // namespace ferry::server
