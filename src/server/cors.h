// CORS for browser SDKs: the preflight answer and the headers every answer carries.
#pragma once

#include <string>
#include <vector>

#include "http/types.h"

namespace ferry::server {

class Cors {
 public:
  explicit Cors(std::vector<std::string> allowed_origins);

  // Adds Access-Control-Allow-Origin (and Vary: Origin when it echoes the origin) and the
  // exposed headers, when the request's origin is allowed.
  void Decorate(std::string_view origin, http::Response& res) const;
  // The answer to an OPTIONS preflight on an envelope endpoint.
  http::Response Preflight(std::string_view origin) const;

 private:
  // The Access-Control-Allow-Origin value for `origin`, or "" when it is not allowed.
  std::string AllowOrigin(std::string_view origin) const;

  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace ferry::server
