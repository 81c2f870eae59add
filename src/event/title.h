// Issue titles, culprits and metadata, computed the way Sentry shows them (docs/normalization.md
// lists the rules and where they come from).
#pragma once

#include <string>
#include <string_view>

#include "event/event.h"

namespace ferry::event {

// `text` cut to `max_chars` characters (code points) the way Sentry's truncatechars does:
// longer text keeps max_chars - 3 characters and gets "...".
std::string TruncateChars(std::string_view text, size_t max_chars);

// Error events: "<type>: <first line of value>" of the last exception, the line cut to 100
// characters; the type alone when there is no value; "Error" stands in for a missing type.
// A synthetic exception (mechanism.synthetic) is titled by the event's message when it has
// one (the JavaScript SDKs attach one to captured messages), else by its crashing function.
// Other events: the first line of the message, cut to 100 characters; "<unlabeled event>"
// when there is none.
std::string ComputeTitle(const NormalizedEvent& event);

// Where it happened, in Sentry's order: the culprit the SDK sent; the transaction; the most
// relevant frame of the last stack trace (the last in-app frame, else the last frame):
// "function(file)" for javascript and node, the function alone for native and cocoa,
// "module-or-file in function" otherwise; the request URL. At most 200 characters.
// `sent` is the event's own `culprit` field.
std::string ComputeCulprit(const NormalizedEvent& event, std::string_view sent);

// Sentry's metadata: errors get the last exception's type and value (cut to 1024 characters)
// and the crashing frame's filename and function; other events get the title. Sets
// event.metadata (its filename is the event's location). Needs event.title.
void ComputeMetadata(NormalizedEvent& event);

}  // namespace ferry::event
