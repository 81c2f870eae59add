// What a stack frame contributes to grouping, per platform.
//
// Grouping must not split one bug into many issues because of things that change between
// deploys or runs: line numbers, build hashes in bundle names, deploy directories, query
// strings, memory addresses, synthetic lambda class numbers. These functions reduce a frame
// to "<where> <function>" with that noise removed.
#pragma once

#include <string>
#include <string_view>

#include "event/event.h"

namespace ferry::event {

enum class FrameKind { kPython, kJavaScript, kDart, kNative, kJava, kOther };

// The frame's own platform when it has one, else the event's; Dart frames are recognized by
// their package:/dart: paths because Flutter events often say "other".
FrameKind ClassifyFrame(const Frame& frame, std::string_view event_platform);

// A path or URL reduced to what is stable across deploys: no scheme, host, query or fragment;
// from the last node_modules/ on for dependencies; the last two segments of other absolute
// file system paths; hex build hashes replaced by "<hash>".
std::string NormalizeFilename(std::string_view path);

// A function name without per-run or per-build noise: memory addresses, " + 123" offsets,
// "async " prefixes, numbered synthetic lambdas.
std::string NormalizeFunction(std::string_view function, FrameKind kind);

// "<where> <function>" for grouping, or "" when the frame carries nothing stable (an
// unsymbolicated native frame, an "<asynchronous suspension>" marker). Never uses lineno,
// colno or instruction_addr.
std::string FrameGroupingKey(const Frame& frame, std::string_view event_platform);

// The path of "scheme://host/path?query" without query and fragment; "" when `s` is not such
// a URL, names no path, or is a webpack:// path (read best as it is). A frame whose filename
// is a URL gets this as its filename, its URL moving to abs_path (Relay's rule).
std::string_view UrlPath(std::string_view s);

}  // namespace ferry::event
