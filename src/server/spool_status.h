// The spool's state as JSON: totals and, per upstream queue, depth and delivery state. Served
// at GET /api/ferry/spool/ and printed by `ferry spool status`.
#pragma once

#include <string>
#include <vector>

#include "forward/drainer.h"
#include "spool/spool.h"

namespace ferry::server {

// `states` may be empty (no drainer: the CLI reading the file).
std::string SpoolStatusJson(const spool::SpoolStats& stats,
                            const std::vector<forward::QueueState>& states, uint64_t max_bytes);

}  // namespace ferry::server
