// An alert: one issue that needs a human's attention, as the store reported it after saving an
// event. Ingest creates alerts for new issues and for regressions (a resolved issue that got a
// new event); duplicates and further events of an open issue never alert.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::notify {

enum class AlertKind { kNewIssue, kRegression };

struct Alert {
  AlertKind kind = AlertKind::kNewIssue;
  int64_t issue_id = 0;
  int64_t project_id = 0;
  std::string project;  // the project's slug, as the UI and API name it
  std::string title;    // from the event: untrusted text, escaped wherever it is written
  std::string culprit;
  std::string level;
  std::string environment;
  std::string release;
  int64_t received_ms = 0;
};

}  // namespace ferry::notify
