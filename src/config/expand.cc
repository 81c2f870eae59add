#include "config/expand.h"

#include <cstdlib>

namespace ferry::config::internal {
namespace {

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

base::Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return base::InvalidArgument("unterminated \"${\" (write \"$${\" for a literal \"${\")");
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    size_t name_len = 0;
    while (name_len < inner.size() && IsNameChar(inner[name_len])) ++name_len;
    std::string name(inner.substr(0, name_len));
    std::string_view rest = inner.substr(name_len);
    std::string reference(text.substr(i, close - i + 1));
    if (name.empty() || !IsNameStart(name[0])) {
      return base::InvalidArgument("bad variable name in \"" + reference + "\"");
    }
    std::optional<std::string> value = env(name);
    if (rest.empty()) {
      if (value) out += *value;
    } else if (rest.substr(0, 2) == ":-") {
      out += (value && !value->empty()) ? std::string_view(*value) : rest.substr(2);
    } else {
      return base::InvalidArgument("unsupported \"" + reference +
                                   "\" (use ${VAR} or ${VAR:-default})");
    }
    i = close + 1;
  }
  return out;
}

std::string EscapeEnv(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') out += '$';
    out += text[i];
  }
  return out;
}

}  // namespace ferry::config::internal
