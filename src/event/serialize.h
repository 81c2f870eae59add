// Internal: NormalizedEvent -> normalized_json.
#pragma once

#include <cstddef>
#include <string>

#include "event/event.h"

namespace ferry::event::internal {

// The event as compact JSON in Sentry's field names (exception.values, breadcrumbs.values,
// tags as [key, value] pairs), empty fields left out. A frame's abs_path is left out when it
// equals its filename, and its filename when it is UrlPath(abs_path): readers fill them back.
// Tags are left out (the store keeps them beside the payload), and so is the location, which
// is metadata.filename. When the full form exceeds `max_bytes`,
// the least useful detail goes first (frame vars and context, breadcrumb data, breadcrumbs,
// extra and contexts, most frames) and "_trimmed" records how far it went; as a last resort
// only the identifying fields remain. Never longer than max_bytes unless max_bytes is too
// small for even that.
std::string SerializeBounded(const NormalizedEvent& event, size_t max_bytes);

}  // namespace ferry::event::internal
