// Internal: small readers over Boost.JSON values that never throw and bound what they return.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::event::internal {

// `s` cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view s, size_t max);

// The member `key` of `v` when `v` is an object, else nullptr.
const boost::json::value* Member(const boost::json::value* v, std::string_view key);
const boost::json::object* AsObject(const boost::json::value* v);
const boost::json::array* AsArray(const boost::json::value* v);

// Scalars as text, the way Relay coerces them into string fields: strings as-is, numbers in
// their shortest form, booleans as "true"/"false". Objects, arrays and null give "".
std::string ScalarText(const boost::json::value* v, size_t max);

// A copy of `v` cut down to fit: strings to `max_string`, arrays and objects to `max_items`
// entries, nesting below `max_depth` replaced by "...". Keeps the shape recognizable.
boost::json::value TrimValue(const boost::json::value& v, size_t max_string, size_t max_items,
                             int max_depth);

// Compact JSON of a trimmed copy of `v`, at most `max_bytes` (trimmed harder when needed;
// "" when even a minimal form does not fit). Empty for null.
std::string BoundedJson(const boost::json::value* v, size_t max_bytes);

}  // namespace ferry::event::internal
