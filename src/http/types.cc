#include "http/types.h"

#include <atomic>

#include "base/strings.h"

namespace ferry::http {

struct Respond::State {
  Fn fn;
  std::atomic<bool> called{false};

  ~State() {
    if (!called.exchange(true)) {
      fn(JsonError(bhttp::status::internal_server_error, "the request was not answered"));
    }
  }
};

Respond::Respond(Fn fn) : state_(std::make_shared<State>()) { state_->fn = std::move(fn); }

void Respond::operator()(Response response) const {
  if (state_->called.exchange(true)) return;
  state_->fn(std::move(response));
}

Response JsonError(bhttp::status status, std::string_view detail) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = "{\"detail\":" + base::JsonQuote(detail) + "}";
  return res;
}

}  // namespace ferry::http
