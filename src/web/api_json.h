// Store records in the JSON shapes of Sentry's Web API.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "store/store.h"

namespace ferry::web {

// "2024-05-01T12:30:00.123000Z"
std::string IsoTime(int64_t ms);

boost::json::object ProjectJson(const store::Project& project);
boost::json::object IssueJson(const store::Issue& issue, const store::Project& project,
                              const std::string& public_url);
// The short form used in event lists.
boost::json::object EventSummaryJson(const store::StoredEvent& event);
// The full event with Sentry's `entries` (exception, stacktrace, message, breadcrumbs,
// request), built from the normalized payload.
boost::json::object EventJson(const store::StoredEvent& event);

}  // namespace ferry::web
