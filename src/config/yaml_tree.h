// The one adapter around yaml-cpp. It turns YAML text into a plain tree of strings so that the
// rest of src/config never sees yaml-cpp types or its exceptions, and so that every scalar is
// handled as text (typing, ${VAR} expansion and validation happen in parse.cc).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace ferry::config::internal {

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };

  Kind kind = Kind::kNull;
  std::string scalar;              // kScalar: the text, unquoted
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMap, in document order
  int line = 0;                    // 1-based; 0 when unknown

  bool IsNull() const { return kind == Kind::kNull; }
};

// A map member. A struct rather than std::pair so that YamlNode can hold a vector of them
// while still incomplete (clang refuses std::pair of an incomplete type).
struct YamlEntry {
  std::string first;  // the key
  YamlNode second;    // the value
};

// Parses one YAML document. An empty (or comment-only) document is a kNull node. Errors
// (kInvalidArgument) carry the line: syntax errors, non-scalar map keys, duplicate keys,
// more than one document, nesting deeper than 64 levels.
base::Result<YamlNode> ParseYaml(std::string_view text);

// "a string", "a list", "a map" or "nothing": for "expected X, got Y" messages.
std::string_view KindName(YamlNode::Kind kind);

}  // namespace ferry::config::internal
