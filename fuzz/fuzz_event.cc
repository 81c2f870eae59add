// Event normalization and grouping on arbitrary bytes: must never crash, must refuse or accept
// cleanly, and what it accepts must come out bounded and well-formed.
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "event/grouping.h"
#include "event/normalize.h"
#include "event/tags.h"
#include "event/user_agent.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ferry::event::NormalizeOptions opts;
  opts.now = std::chrono::system_clock::time_point(std::chrono::seconds(1710152160));
  opts.sent_at = opts.now - std::chrono::hours(2);
  opts.client_ip = "192.0.2.1";
  opts.max_normalized_bytes = 64 * 1024;
  // The User-Agent regexes, when Debian's uap-core is there: hostile headers reach RE2.
  static const auto parser =
      ferry::event::UserAgentParser::Load(ferry::event::kDefaultUserAgentRegexes, 64);
  if (parser.ok()) opts.user_agents = parser->get();
  auto event = ferry::event::Normalize(bytes, opts);
  if (!event.ok()) return 0;

  if (event->event_id.size() != 32) std::abort();
  if (event->normalized_json.size() > opts.max_normalized_bytes) std::abort();
  if (event->breadcrumbs.size() > opts.max_breadcrumbs) std::abort();
  boost::system::error_code ec;
  // Every tag, sent or derived, is one Sentry accepts, and keys are unique.
  for (size_t i = 0; i < event->tags.size(); ++i) {
    const auto& tag = event->tags[i];
    if (!ferry::event::IsValidTagKey(tag.key) || tag.value.empty() ||
        ferry::event::CharCount(tag.value) > ferry::event::kMaxTagValueChars ||
        tag.value.find('\n') != std::string::npos) {
      std::abort();
    }
    for (size_t j = 0; j < i; ++j) {
      if (event->tags[j].key == tag.key) std::abort();
    }
  }
  if (!event->contexts_json.empty()) {
    boost::json::parse(event->contexts_json, ec);
    if (ec) std::abort();
  }
  // The stored form must itself be valid JSON (and valid UTF-8, which Boost.JSON checks).
  boost::json::parse(event->normalized_json, ec);
  if (ec) std::abort();

  ferry::event::Grouping grouping = ferry::event::ComputeGrouping(*event);
  if (grouping.hash.size() != 32 || grouping.components.empty() || grouping.method.empty()) {
    std::abort();
  }
  // Grouping is a pure function of the event.
  if (ferry::event::ComputeGrouping(*event).hash != grouping.hash) std::abort();
  return 0;
}
