// Internal: completing an event's contexts from its request's User-Agent header, as Relay does.
#pragma once

#include <boost/json/object.hpp>

#include "event/event.h"
#include "event/user_agent.h"

namespace ferry::event::internal {

// Adds the contexts the event lacks from the User-Agent header of `ev.request`: "browser"
// {name, version}, "device" {family, model, brand} and the operating system, which goes to
// "os" for javascript events and to "client_os" for the others (a server SDK's own "os" is
// the server's). Each gets its `type`. Creates event["contexts"] when needed.
void AddUserAgentContexts(boost::json::object& event, const NormalizedEvent& ev,
                          const UserAgentParser& parser);

}  // namespace ferry::event::internal
