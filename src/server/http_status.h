// The one place where a base::Status becomes an HTTP answer (DESIGN.md §2.5).
#pragma once

#include "base/status.h"
#include "http/types.h"

namespace ferry::server {

http::bhttp::status HttpStatusFor(base::Code code);

// {"detail": status.detail()} with the status's HTTP code. REQUIRES: !status.ok().
http::Response ErrorResponse(const base::Status& status);

}  // namespace ferry::server
