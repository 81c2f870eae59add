#include "event/fields.h"

#include <set>
#include <string_view>

#include "base/strings.h"
#include "event/json_util.h"
#include "event/tags.h"
#include "event/timestamp.h"

namespace ferry::event::internal {

namespace json = boost::json;

namespace {

constexpr size_t kMaxHeaders = 64;
constexpr size_t kMaxTagErrors = 32;
constexpr size_t kMaxRequestDataBytes = 2048;
constexpr size_t kMaxCrumbMessageBytes = 1024;
constexpr size_t kMaxCrumbDataBytes = 2048;
constexpr size_t kMaxFingerprintParts = 32;
constexpr size_t kMaxFingerprintPartBytes = 256;

// Calls add(key, value) for each member of an object, or each [key, value] pair (or
// {key, value} object) of a list: the two shapes SDKs send tags and headers in.
template <typename Add>
void ForEachPair(const json::value* v, Add&& add) {
  if (const json::object* obj = AsObject(v)) {
    for (const auto& member : *obj) add(member.key(), &member.value());
  } else if (const json::array* arr = AsArray(v)) {
    for (const json::value& item : *arr) {
      if (const json::array* pair = item.if_array(); pair && pair->size() == 2) {
        if ((*pair)[0].is_string()) add((*pair)[0].get_string(), &(*pair)[1]);
      } else if (const json::value* key = Member(&item, "key"); key && key->is_string()) {
        add(key->get_string(), Member(&item, "value"));
      }
    }
  }
}

bool IsPlaceholderNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '@' || c == '$';
}

// The message of a logging call formatted with its params, in the two styles SDKs send:
// printf-style ("%s" and the other one-letter conversions take positional params, "%(name)s"
// named ones, "%%" is a percent sign: Python and PHP) and brace-style ("{0}" by index,
// "{name}" by name or, with a list of params, by position: .NET and structured loggers; "{{"
// and "}}" are braces). Anything unmatched stays as written.
std::string FormatParams(std::string_view templ, const json::value& params, size_t max) {
  const json::array* positional = params.if_array();
  const json::object* named = params.if_object();
  std::string out;
  size_t next = 0;
  auto param_text = [max](const json::value& p) {
    std::string text = ScalarText(&p, max);
    return text.empty() && !p.is_string() ? json::serialize(p) : text;
  };
  for (size_t i = 0; i < templ.size() && out.size() < max; ++i) {
    char c = templ[i];
    char spec = i + 1 < templ.size() ? templ[i + 1] : '\0';
    if (c == '%' && spec == '%') {
      out.push_back('%');
      ++i;
    } else if (c == '%' && spec == '(' && named != nullptr) {
      size_t close = templ.find(')', i + 2);
      auto it = close == std::string_view::npos || close + 1 >= templ.size()
                    ? named->end()
                    : named->find(templ.substr(i + 2, close - i - 2));
      if (it == named->end()) {
        out.push_back(c);
        continue;
      }
      out += param_text(it->value());
      i = close + 1;  // skip the conversion letter after ')'
    } else if (c == '%' && positional != nullptr &&
               std::string_view("sdifrxuge").find(spec) != std::string_view::npos && spec != '\0' &&
               next < positional->size()) {
      out += param_text((*positional)[next++]);
      ++i;
    } else if ((c == '{' && spec == '{') || (c == '}' && spec == '}')) {
      out.push_back(c);
      ++i;
    } else if (c == '{') {
      size_t close = i + 1;
      while (close < templ.size() && IsPlaceholderNameChar(templ[close])) ++close;
      std::string_view name = templ.substr(i + 1, close - i - 1);
      const json::value* value = nullptr;
      if (close < templ.size() && templ[close] == '}' && !name.empty()) {
        if (name.front() == '@' || name.front() == '$') name.remove_prefix(1);  // Serilog
        bool is_index = !name.empty() && name.size() < 6 &&
                        name.find_first_not_of("0123456789") == std::string_view::npos;
        if (named != nullptr) {
          if (auto it = named->find(name); it != named->end()) value = &it->value();
        } else if (positional != nullptr) {
          size_t index = is_index ? std::stoul(std::string(name)) : next++;
          if (index < positional->size()) value = &(*positional)[index];
        }
      }
      if (value == nullptr) {
        out.push_back(c);
        continue;
      }
      out += param_text(*value);
      i = close;
    } else {
      out.push_back(c);
    }
  }
  return TruncateUtf8(out, max);
}

MessageParts ReadLogentry(const json::value& v, size_t max) {
  MessageParts parts;
  const json::value* message = Member(&v, "message");
  const json::value* formatted = Member(&v, "formatted");
  const json::value* params = Member(&v, "params");
  parts.templ = ScalarText(message, max);
  parts.formatted = ScalarText(formatted, max);
  if (parts.formatted.empty() && !parts.templ.empty()) {
    parts.formatted = params != nullptr ? FormatParams(parts.templ, *params, max) : parts.templ;
  }
  if (parts.templ.empty()) parts.templ = parts.formatted;
  return parts;
}

std::vector<KeyValue> ReadPairs(const json::value* v, size_t max_items, size_t max_key,
                                size_t max_value) {
  std::vector<KeyValue> out;
  std::set<std::string, std::less<>> seen;
  auto add = [&](std::string_view key, const json::value* value) {
    if (out.size() >= max_items) return;
    key = base::Trim(key);
    std::string text = ScalarText(value, max_value);
    if (key.empty() || key.size() > max_key || text.empty()) return;
    if (!seen.insert(std::string(key)).second) return;
    out.push_back({std::string(key), std::move(text)});
  };
  ForEachPair(v, add);
  return out;
}

std::string QueryString(const json::value* v, size_t max) {
  if (v == nullptr) return "";
  if (v->is_string()) {
    std::string_view q = v->get_string();
    if (q.starts_with("?")) q.remove_prefix(1);
    return TruncateUtf8(q, max);
  }
  std::string out;
  for (const KeyValue& kv : ReadPairs(v, 100, max, max)) {
    if (!out.empty()) out += '&';
    out += kv.key + "=" + kv.value;
  }
  return TruncateUtf8(out, max);
}

bool IsSensitiveHeader(std::string_view name) {
  // Credentials must not sit in the store in clear text even if an SDK sends them.
  for (std::string_view s : {"authorization", "cookie", "set-cookie", "x-sentry-auth",
                             "proxy-authorization", "x-api-key"}) {
    if (base::EqualsIgnoreCase(name, s)) return true;
  }
  return false;
}

}  // namespace

MessageParts ReadMessage(const json::object& event, const NormalizeOptions& opts) {
  const size_t max = opts.max_string_bytes;
  const json::value* logentry = event.if_contains("logentry");
  if (logentry == nullptr) logentry = event.if_contains("sentry.interfaces.Message");
  if (logentry != nullptr && logentry->is_object()) {
    MessageParts parts = ReadLogentry(*logentry, max);
    if (!parts.formatted.empty()) return parts;
  }
  const json::value* message = event.if_contains("message");
  if (message == nullptr) return {};
  if (message->is_object()) return ReadLogentry(*message, max);
  std::string text = ScalarText(message, max);
  return {text, text};
}

std::vector<KeyValue> ReadTags(const json::value* v, const NormalizeOptions& opts,
                               std::vector<EventError>* errors) {
  std::vector<KeyValue> out;
  std::set<std::string, std::less<>> seen;
  ForEachPair(v, [&](std::string_view key, const json::value* value) {
    if (out.size() >= opts.max_tags) return;
    const std::string name = "tags." + TruncateUtf8(key, 64);
    std::optional<std::string> text = TagValueText(value);
    if (text && text->empty()) return;  // an empty value is no tag, and no error either
    const bool invalid = !IsValidTagKey(key) || !text || text->find('\n') != std::string::npos;
    if (invalid || CharCount(*text) > kMaxTagValueChars) {
      // A note per bad tag, up to a point: a hostile event could send thousands.
      if (errors->size() < kMaxTagErrors) {
        errors->push_back({invalid ? "invalid_data" : "value_too_long", name, ""});
      }
    } else if (seen.insert(std::string(key)).second) {
      out.push_back({std::string(key), std::move(*text)});
    }
  });
  return out;
}

User ReadUser(const json::value* v, const NormalizeOptions& opts) {
  const size_t max = opts.max_short_string_bytes;
  User u;
  u.id = ScalarText(Member(v, "id"), max);
  u.email = ScalarText(Member(v, "email"), max);
  u.username = ScalarText(Member(v, "username"), max);
  u.name = ScalarText(Member(v, "name"), max);
  u.ip_address = ScalarText(Member(v, "ip_address"), max);
  return u;
}

Request ReadRequest(const json::value* v, const NormalizeOptions& opts) {
  const size_t max = opts.max_short_string_bytes;
  Request r;
  if (AsObject(v) == nullptr) return r;
  r.url = ScalarText(Member(v, "url"), max);
  r.method = ScalarText(Member(v, "method"), 16);
  for (char& c : r.method) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  r.query_string = QueryString(Member(v, "query_string"), max);
  // As Relay: the URL keeps neither query nor fragment; a query it carried becomes the
  // query_string when the SDK sent none.
  if (size_t cut = r.url.find_first_of("?#"); cut != std::string::npos) {
    if (r.url[cut] == '?' && r.query_string.empty()) {
      size_t end = r.url.find('#', cut);
      r.query_string = r.url.substr(cut + 1, end == std::string::npos ? end : end - cut - 1);
    }
    r.url.resize(cut);
  }
  r.env_remote_addr = ScalarText(Member(Member(v, "env"), "REMOTE_ADDR"), 64);
  for (KeyValue& kv : ReadPairs(Member(v, "headers"), kMaxHeaders, max, max)) {
    if (!IsSensitiveHeader(kv.key)) r.headers.push_back(std::move(kv));
  }
  if (const json::value* data = Member(v, "data"); data != nullptr) {
    r.data = data->is_string() ? TruncateUtf8(data->get_string(), kMaxRequestDataBytes)
                               : BoundedJson(data, kMaxRequestDataBytes);
  }
  return r;
}

std::vector<Breadcrumb> ReadBreadcrumbs(const json::value* v, std::chrono::microseconds shift,
                                        const NormalizeOptions& opts, size_t* dropped) {
  *dropped = 0;
  const json::array* list = AsArray(Member(v, "values"));
  if (list == nullptr) list = AsArray(v);
  if (list == nullptr) return {};
  const size_t first =
      list->size() > opts.max_breadcrumbs ? list->size() - opts.max_breadcrumbs : 0;
  *dropped = first;
  std::vector<Breadcrumb> out;
  out.reserve(list->size() - first);
  for (size_t i = first; i < list->size(); ++i) {
    const json::value& item = (*list)[i];
    if (!item.is_object()) {
      ++*dropped;
      continue;
    }
    // One pass over the members instead of a lookup per field: events carry up to a hundred
    // breadcrumbs, and object keys are unique once parsed.
    const json::value *ts = nullptr, *type = nullptr, *category = nullptr, *level = nullptr,
                      *message = nullptr, *data = nullptr;
    for (const auto& member : item.get_object()) {
      std::string_view key = member.key();
      if (key == "timestamp") {
        ts = &member.value();
      } else if (key == "type") {
        type = &member.value();
      } else if (key == "category") {
        category = &member.value();
      } else if (key == "level") {
        level = &member.value();
      } else if (key == "message") {
        message = &member.value();
      } else if (key == "data") {
        data = &member.value();
      }
    }
    Breadcrumb b;
    if (ts != nullptr) {
      if (auto tp = ParseTimestampValue(*ts)) {
        b.timestamp = FormatRfc3339(ShiftClamped(*tp, shift));
      }
    }
    b.type = ScalarText(type, 64);
    if (b.type.empty()) b.type = "default";
    b.category = ScalarText(category, opts.max_short_string_bytes);
    auto parsed_level = ParseLevelName(ScalarText(level, 16));
    b.level = std::string(LevelName(parsed_level.value_or(Level::kInfo)));
    b.message = ScalarText(message, kMaxCrumbMessageBytes);
    b.data_json = BoundedJson(data, kMaxCrumbDataBytes);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::string> ReadFingerprint(const json::value* v) {
  std::vector<std::string> out;
  const json::array* list = AsArray(v);
  if (list == nullptr) return out;
  for (const json::value& part : *list) {
    if (out.size() >= kMaxFingerprintParts) break;
    std::string text = ScalarText(&part, kMaxFingerprintPartBytes);
    if (!text.empty()) out.push_back(std::move(text));
  }
  return out;
}

}  // namespace ferry::event::internal
