// Internal: readers for the event interfaces other than exceptions and stack traces. Each
// takes the raw member (possibly null or of the wrong type), never fails, and bounds its
// result by the options.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "event/event.h"
#include "event/normalize.h"

namespace ferry::event::internal {

struct MessageParts {
  std::string formatted;  // what people read
  std::string templ;      // the template before params were applied (grouping input)
};

// From `logentry` (or the legacy `sentry.interfaces.Message`) and `message`, which may be a
// string or a logentry-shaped object. Params fill %s-style and %(name)s placeholders.
MessageParts ReadMessage(const boost::json::object& event, const NormalizeOptions& opts);

// `tags` as an object or a list of [key, value] pairs (or {key, value} objects): values as
// Sentry stores them (tags.h), first occurrence of a key wins, empty values dropped. Invalid
// keys and values are dropped and recorded in `errors`, as Relay does.
std::vector<KeyValue> ReadTags(const boost::json::value* v, const NormalizeOptions& opts,
                               std::vector<EventError>* errors);

User ReadUser(const boost::json::value* v, const NormalizeOptions& opts);
Request ReadRequest(const boost::json::value* v, const NormalizeOptions& opts);

// The most recent opts.max_breadcrumbs of `breadcrumbs` ({"values": [...]} or a list), with
// their timestamps moved by `shift` (clock drift correction). Sets *dropped to the number
// left out.
std::vector<Breadcrumb> ReadBreadcrumbs(const boost::json::value* v,
                                        std::chrono::microseconds shift,
                                        const NormalizeOptions& opts, size_t* dropped);

std::vector<std::string> ReadFingerprint(const boost::json::value* v);

}  // namespace ferry::event::internal
