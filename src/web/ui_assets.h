// What the UI's pages are made of, compiled into the binary: mustache templates (kainjow
// mustache, which escapes every {{value}}; {{{raw}}} is used only for HTML ferry rendered
// itself) and the files under /static/.
#pragma once

#include <optional>
#include <string_view>

namespace ferry::web {

extern const std::string_view kLayoutTemplate;  // title, body (rendered HTML), user {email, csrf}
extern const std::string_view kLoginTemplate;   // email, next, error, no_users
// projects [{name, slug, platform, keys [{dsn, enabled}]}]
extern const std::string_view kOverviewTemplate;

struct Asset {
  std::string_view content_type;
  std::string_view body;
};
// A file under /static/ by its name ("ferry.css"), or nullopt.
std::optional<Asset> FindAsset(std::string_view name);

}  // namespace ferry::web
