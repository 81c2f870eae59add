// Normalize: raw Sentry event JSON -> NormalizedEvent.
//
// Accepts the payload of an envelope `event` item or the body of the legacy
// /api/<project>/store/ endpoint. Follows Relay's normalization where it matters for storing
// and grouping (event_id, timestamps and clock drift, level aliases, logentry formatting,
// exception and thread stack traces, tags as an object or as pairs) and bounds everything it
// keeps, so hostile or merely huge events cannot make the stored row or the UI unbounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "event/event.h"

namespace ferry::event {

class UserAgentParser;  // event/user_agent.h

struct NormalizeOptions {
  // The receive time. Used for a missing timestamp and as the reference for clock drift.
  std::chrono::system_clock::time_point now;
  // The envelope header's sent_at, when there was one: lets a drifted device clock be
  // corrected the way Relay does (only drifts of 55 minutes or more are corrected).
  std::optional<std::chrono::system_clock::time_point> sent_at;
  // The project's platform, used when the event names none.
  std::string default_platform = "other";
  // The connecting client's address (after trusted proxies): substituted for "{{auto}}" in
  // user.ip_address and request.env.REMOTE_ADDR, and the user's address of javascript and
  // cocoa events that name none, as Relay infers it.
  std::string client_ip;
  // Fills the browser, os and device contexts from the request's User-Agent header; none when
  // null. Not owned.
  const UserAgentParser* user_agents = nullptr;

  size_t max_event_bytes = 1 << 20;  // larger inputs are refused with kTooLarge
  int max_json_depth = 64;           // deeper inputs are refused with kInvalidArgument
  // Relay's defaults: timestamps further than this from `now` are replaced by `now`.
  std::chrono::seconds max_secs_in_future{60};
  std::chrono::seconds max_secs_in_past{30 * 24 * 3600};

  size_t max_breadcrumbs = 100;  // the most recent ones are kept
  size_t max_frames = 250;       // per stack trace; the first and last halves are kept
  size_t max_exceptions = 25;    // the most recent ones of a chain are kept
  size_t max_tags = 200;
  size_t max_string_bytes = 8192;            // message, exception value
  size_t max_short_string_bytes = 512;       // names, ids, urls, frame fields
  size_t max_json_field_bytes = 16 * 1024;   // contexts, extra, vars, breadcrumb data (each)
  size_t max_normalized_bytes = 512 * 1024;  // normalized_json as a whole
};

// Errors: kTooLarge when json.size() > opts.max_event_bytes; kInvalidArgument when `json` is
// not JSON, nests deeper than opts.max_json_depth, is not an object, or carries an event_id
// that is not 32 hex digits (dashes allowed). Everything else that is malformed is dropped or
// repaired and recorded in NormalizedEvent::errors, as Relay does, rather than refused.
base::Result<NormalizedEvent> Normalize(std::string_view json, const NormalizeOptions& opts);

}  // namespace ferry::event
