#include "event/json_util.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace ferry::event::internal {

namespace json = boost::json;

std::string TruncateUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  // Back off over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

const json::value* Member(const json::value* v, std::string_view key) {
  const json::object* obj = AsObject(v);
  if (obj == nullptr) return nullptr;
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &it->value();
}

const json::object* AsObject(const json::value* v) {
  return v != nullptr ? v->if_object() : nullptr;
}

const json::array* AsArray(const json::value* v) { return v != nullptr ? v->if_array() : nullptr; }

namespace {

std::string DoubleText(double d) {
  if (!std::isfinite(d)) return "";
  // Integral values print without a fraction, as SDKs that send 42.0 for 42 expect.
  if (std::abs(d) < 9e15 && d == std::floor(d)) return std::to_string(static_cast<int64_t>(d));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return "";
  return std::string(buf, end);
}

}  // namespace

std::string ScalarText(const json::value* v, size_t max) {
  if (v == nullptr) return "";
  switch (v->kind()) {
    case json::kind::string:
      return TruncateUtf8(v->get_string(), max);
    case json::kind::int64:
      return std::to_string(v->get_int64());
    case json::kind::uint64:
      return std::to_string(v->get_uint64());
    case json::kind::double_:
      return DoubleText(v->get_double());
    case json::kind::bool_:
      return v->get_bool() ? "true" : "false";
    default:
      return "";
  }
}

json::value TrimValue(const json::value& v, size_t max_string, size_t max_items, int max_depth) {
  switch (v.kind()) {
    case json::kind::string:
      return json::value(TruncateUtf8(v.get_string(), max_string));
    case json::kind::array: {
      if (max_depth <= 0) return json::value("...");
      json::array out;
      const json::array& in = v.get_array();
      for (size_t i = 0; i < in.size() && i < max_items; ++i) {
        out.push_back(TrimValue(in[i], max_string, max_items, max_depth - 1));
      }
      if (in.size() > max_items) out.push_back(json::value("..."));
      return out;
    }
    case json::kind::object: {
      if (max_depth <= 0) return json::value("...");
      json::object out;
      size_t n = 0;
      for (const auto& member : v.get_object()) {
        if (n++ >= max_items) {
          out["..."] = "...";
          break;
        }
        out[TruncateUtf8(member.key(), max_string)] =
            TrimValue(member.value(), max_string, max_items, max_depth - 1);
      }
      return out;
    }
    case json::kind::double_:
      // Boost.JSON reads overflowing numbers (1e400) as infinities but writes them as
      // "Infinity", which is not JSON; null keeps the stored text parseable.
      return std::isfinite(v.get_double()) ? v : json::value(nullptr);
    default:
      return v;
  }
}

namespace {

struct Limits {
  size_t max_string;
  size_t max_items;
  int max_depth;
};

// Whether TrimValue(v, limits) would change nothing, so `v` can be written as it is.
bool WithinLimits(const json::value& v, const Limits& limits, int depth) {
  switch (v.kind()) {
    case json::kind::string:
      return v.get_string().size() <= limits.max_string;
    case json::kind::array:
      if (depth >= limits.max_depth || v.get_array().size() > limits.max_items) return false;
      for (const json::value& item : v.get_array()) {
        if (!WithinLimits(item, limits, depth + 1)) return false;
      }
      return true;
    case json::kind::object:
      if (depth >= limits.max_depth || v.get_object().size() > limits.max_items) return false;
      for (const auto& member : v.get_object()) {
        if (member.key().size() > limits.max_string) return false;
        if (!WithinLimits(member.value(), limits, depth + 1)) return false;
      }
      return true;
    case json::kind::double_:
      // TrimValue writes non-finite numbers as valid JSON; leave those to it.
      return std::isfinite(v.get_double());
    default:
      return true;
  }
}

}  // namespace

std::string BoundedJson(const json::value* v, size_t max_bytes) {
  if (v == nullptr || v->is_null()) return "";
  // Progressively coarser copies: most payloads fit the first, hostile ones the last.
  static constexpr Limits kSteps[] = {{1024, 100, 8}, {256, 25, 5}, {64, 8, 3}, {32, 4, 1}};
  // Most values are within the first step's limits: written without a trimmed copy.
  if (WithinLimits(*v, kSteps[0], 0)) {
    std::string text = json::serialize(*v);
    if (text.size() <= max_bytes) return text;
  }
  for (const Limits& step : kSteps) {
    std::string text =
        json::serialize(TrimValue(*v, step.max_string, step.max_items, step.max_depth));
    if (text.size() <= max_bytes) return text;
  }
  return "";
}

}  // namespace ferry::event::internal
