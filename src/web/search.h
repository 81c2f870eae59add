// The issue list's query string, shared by the JSON API and the UI: Sentry's search syntax,
// sort names and cursors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/store.h"

namespace ferry::web {

// A non-negative decimal of at most 18 digits.
bool ParseId(std::string_view s, int64_t* out);

// Sentry's search syntax into `q`: is:<status>, level:<level>, any tag as key:value (derived
// ones too: environment, release, browser.name, handled, user, ...), user.id: / user.email: /
// user.username: / user.ip: for the user tag, "!" before a key to negate it, quotes around
// values with spaces, and free text for the rest. Errors (kInvalidArgument): an unknown
// status, a search key ferry does not answer, an invalid tag key, too many tag filters.
base::Status ParseQuery(std::string_view text, store::IssueQuery* q);

// Sentry's sort names: date (last seen, the default), new (first seen), freq (events), user.
base::Result<store::IssueSort> ParseSort(std::string_view sort);

// The decoded value of query parameter `name` of a request target, "" when absent.
std::string QueryParam(std::string_view target, std::string_view name);

// Sentry's cursors look like "0:100:0"; the middle number is the offset.
int64_t ParseCursor(std::string_view cursor);

}  // namespace ferry::web
