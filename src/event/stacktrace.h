// Internal: reading stack traces and frames out of event JSON.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string_view>

#include "event/event.h"
#include "event/normalize.h"

namespace ferry::event::internal {

// A `stacktrace` object ({"frames": [...]}) as a Stacktrace; nullopt when it is missing, not
// an object, or has no usable frames. Frames past opts.max_frames are dropped from the middle
// so both the entry point and the crash site survive.
std::optional<Stacktrace> ParseStacktrace(const boost::json::value* v,
                                          const NormalizeOptions& opts);

// In-app status for a frame that did not say, from paths that are libraries everywhere
// (node_modules, site-packages, dart: and package:flutter/); nullopt when it cannot tell.
std::optional<bool> InferInApp(const Frame& frame);

}  // namespace ferry::event::internal
