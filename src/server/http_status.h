// The one place where a base::Status becomes an HTTP answer (DESIGN.md §2.5).
#pragma once

#include "base/status.h"
#include "http/types.h"

namespace ferry::server {

http::bhttp::status HttpStatusFor(base::Code code);

// {"detail": status.detail()} with the status's HTTP code, and the detail (one line, at most
// 200 bytes) in X-Sentry-Error as Relay sends it. REQUIRES: !status.ok().
http::Response ErrorResponse(const base::Status& status);

// 200 {"id": event_id}, or {} without an event id: Sentry's answer to an accepted envelope.
http::Response EventIdResponse(std::string_view event_id);

}  // namespace ferry::server
