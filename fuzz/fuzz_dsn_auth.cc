// DSN, auth header and query parsing on arbitrary text: must never crash or throw, and a
// parsed DSN must survive a round trip through its own URL form.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/auth.h"
#include "protocol/dsn.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dsn = ferry::protocol::ParseDsn(text);
  if (dsn.ok()) {
    const auto& d = *dsn;
    std::string rebuilt =
        d.scheme + "://" + d.public_key + (d.secret.empty() ? "" : ":" + d.secret) + "@" + d.host +
        (d.port ? ":" + std::to_string(d.port) : "") + d.path + "/" + d.project_id;
    auto again = ferry::protocol::ParseDsn(rebuilt);
    if (!again.ok() || again->host != d.host || again->project_id != d.project_id ||
        again->public_key != d.public_key || again->path != d.path || again->port != d.port) {
      std::abort();
    }
    (void)d.EnvelopeUrl();
    (void)d.ToString();
  }
  auto header = ferry::protocol::ParseAuthHeader(text);
  if (header.ok() && header->sentry_key.empty()) std::abort();
  auto query = ferry::protocol::ParseAuthQuery(text);
  if (query && query->sentry_key.empty()) std::abort();
  (void)ferry::protocol::QueryParam(text, "sentry_key");
  (void)ferry::protocol::QueryParam(text, "");
  return 0;
}
