// Tags: which ones Sentry accepts, and the ones it derives from an event's fields and contexts
// so that every event can be searched and counted by level, release, user, browser, ...
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "event/event.h"

namespace ferry::event {

// Relay's limits, in characters.
constexpr size_t kMaxTagKeyChars = 200;
constexpr size_t kMaxTagValueChars = 200;
// Sentry's Environment.name limit, in bytes.
constexpr size_t kMaxEnvironmentBytes = 64;

// Sentry's tag keys: 1 to 200 of [a-zA-Z0-9_.:-].
bool IsValidTagKey(std::string_view key);

// A tag value as Sentry stores it: strings as sent, booleans as "True"/"False" (Python's
// spelling, which is what Sentry shows), numbers in their shortest form; nullopt for null,
// objects and arrays.
std::optional<std::string> TagValueText(const boost::json::value* v);

// UTF-8 characters (code points) in `s`.
size_t CharCount(std::string_view s);

// The `user` tag: "id:<id>", else "username:<name>", else "email:<email>", else
// "ip:<address>"; "" for an anonymous user.
std::string UserTagValue(const User& user);

// The tags Sentry derives from a context (its `type`, or its key when it has none): browser
// and os ("<name> <version>") with .name, runtime likewise, device (the model) with .family,
// gpu.name and gpu.vendor, app.device. Tags are named after the context's key, so a context
// "server-os" of type os gives "server-os" and "server-os.name". The first 64 contexts only.
std::vector<KeyValue> ContextTags(const boost::json::object& contexts);

// Relay's rule for the tags an SDK may not set. "environment" becomes the event's environment
// when it has none (old SDKs sent it as a tag) and is dropped either way; "release", "dist",
// "user", "filename" and "function" are dropped: Sentry derives them itself. So the derived
// environment and release tags always say what the event's fields say.
void TakeReservedTags(NormalizedEvent& event);

// Appends the derived tags to event.tags, each replacing a tag of the same key the SDK sent:
// level, environment, release, dist, logger, server_name, site, transaction, url (the request
// URL without its query), handled and mechanism (of the last exception), user, and the
// context tags. Values longer than the limit are cut, not dropped: they are Sentry's own. The
// event keeps at most 256 tags in all.
void AddDerivedTags(NormalizedEvent& event, const boost::json::object* contexts);

}  // namespace ferry::event
