// A validating, non-recursive JSON scanner for the few objects on the hot path (envelope and
// item headers). It checks that a text is exactly one well-formed JSON object and reports its
// top-level members with their byte spans, so callers can read a field or splice in a new value
// without building a DOM. Nesting deeper than kMaxJsonDepth is refused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry::protocol {

inline constexpr int kMaxJsonDepth = 128;

// The exact error detail for a text that is valid JSON but not an object, so callers can tell
// "not an object" from "not JSON" without parsing the message.
inline constexpr std::string_view kJsonNotAnObject = "not an object";

enum class JsonKind { kString, kNumber, kObject, kArray, kTrue, kFalse, kNull };

struct JsonField {
  std::string key;  // unescaped
  JsonKind kind;
  size_t value_begin = 0;    // byte offset of the value's first byte in the scanned text
  size_t value_end = 0;      // one past its last byte
  std::string string_value;  // unescaped value when kind == kString, else empty
};

// Validates that `text` is one JSON object (surrounding whitespace allowed) and returns its
// top-level members in document order. Duplicate keys are kept; Find returns the last, as
// JSON parsers commonly do. Errors: kInvalidArgument with a short reason ("not JSON", "not an
// object", "nested too deep", ...).
base::Result<std::vector<JsonField>> ScanJsonObject(std::string_view text);

// The last member named `key`, or nullptr.
const JsonField* FindField(const std::vector<JsonField>& fields, std::string_view key);

}  // namespace ferry::protocol
