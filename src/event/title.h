// Issue titles and culprits, computed the way Sentry shows them.
#pragma once

#include <string>

#include "event/event.h"

namespace ferry::event {

// Error events: "<Type>: <first line of value>" of the last exception (the outermost one in
// the chain), the value cut to about 100 characters; "Error" stands in for a missing type.
// Other events: the first line of the message; "<unlabeled event>" when there is nothing.
std::string ComputeTitle(const NormalizedEvent& event);

// Where it happened: the most recent in-app frame of the primary stack trace
// ("app.models in save"), else the transaction, else the most recent frame that names
// anything; "" when there is none of these.
std::string ComputeCulprit(const NormalizedEvent& event);

}  // namespace ferry::event
