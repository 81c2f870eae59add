// Grouping: which issue an event belongs to.
//
// In order of precedence (DESIGN §2.6): the SDK's `fingerprint`, with "{{ default }}"
// standing for the default components; the in-app frames of the last exception's stack trace
// (all frames when none is in-app) plus the exception type; the exception type and value; the
// message template; a fallback. Inputs that vary per occurrence — line numbers, addresses,
// build hashes, numbers and ids inside messages — are left out or replaced by placeholders, so
// one bug is one issue.
#pragma once

#include <string>
#include <vector>

#include "event/event.h"

namespace ferry::event {

struct Grouping {
  std::string hash;  // 32 lowercase hex digits (MD5 of the components)
  // Human-readable inputs, in hash order, e.g. "type:ZeroDivisionError",
  // "frame:app.models save", "message:User %s logged in".
  std::vector<std::string> components;
  std::string method;  // "fingerprint" | "stacktrace" | "exception" | "message" | "fallback"
};

// Grouping as stored with the event. An SDK fingerprint that is only "{{ default }}" gives
// exactly the default grouping (same hash and method).
Grouping ComputeGrouping(const NormalizedEvent& event);

// The grouping the event would get without its fingerprint.
Grouping ComputeDefaultGrouping(const NormalizedEvent& event);

// Replaces the parts of a message that differ between occurrences of the same problem with
// placeholders: UUIDs "<uuid>", 0x addresses "<hex>", long hex ids "<hash>", IPv4 addresses
// "<ip>", ISO dates and times "<date>", other numbers "<int>"/"<float>".
std::string ParameterizeMessage(std::string_view text);

}  // namespace ferry::event
