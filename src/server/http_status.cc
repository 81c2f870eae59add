#include "server/http_status.h"

#include "base/strings.h"

namespace ferry::server {

using http::bhttp::status;

status HttpStatusFor(base::Code code) {
  switch (code) {
    case base::Code::kOk:
      return status::ok;
    case base::Code::kInvalidArgument:
      return status::bad_request;
    case base::Code::kUnauthenticated:
      return status::unauthorized;
    case base::Code::kPermissionDenied:
      return status::forbidden;
    case base::Code::kNotFound:
      return status::not_found;
    case base::Code::kMethodNotAllowed:
      return status::method_not_allowed;
    case base::Code::kTooLarge:
      return status::payload_too_large;
    case base::Code::kRateLimited:
      return status::too_many_requests;
    case base::Code::kUnavailable:
      return status::service_unavailable;
    case base::Code::kUnreachable:
      return status::bad_gateway;
    case base::Code::kTimeout:
      return status::gateway_timeout;
    case base::Code::kOverloaded:
      return status::service_unavailable;
    case base::Code::kInternal:
      return status::internal_server_error;
  }
  return status::internal_server_error;
}

http::Response ErrorResponse(const base::Status& st) {
  auto res = http::JsonError(HttpStatusFor(st.code()), st.detail());
  // Relay names the reason in X-Sentry-Error too; the SDKs (raven's among them) log it. One
  // line of printable text, whatever the detail quotes.
  std::string reason = st.detail().substr(0, 200);
  for (char& c : reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  res.set("X-Sentry-Error", reason);
  // Overload passes within moments: the client may retry soon instead of backing off long.
  if (st.code() == base::Code::kOverloaded) res.set(http::bhttp::field::retry_after, "1");
  return res;
}

http::Response EventIdResponse(std::string_view event_id) {
  http::Response res{status::ok, 11};
  res.set(http::bhttp::field::content_type, "application/json");
  res.body() = event_id.empty() ? "{}" : "{\"id\":" + base::JsonQuote(event_id) + "}";
  return res;
}

}  // namespace ferry::server
