// The JSON API under /api/0/, following the shapes of Sentry's Web API so that existing tools
// (and ferry's UI) can read projects, issues and events. Bearer tokens authenticate
// (`ferry token create`). Every handler runs on a worker thread: the store is never queried
// on an I/O thread.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <string>

#include "config/config.h"
#include "http/types.h"
#include "store/store.h"

namespace ferry::web {

class Api {
 public:
  Api(const config::Config& config, store::Store& store, boost::asio::thread_pool& workers);

  // True for paths under /api/0/.
  static bool Matches(std::string_view path);

  void Handle(http::IncomingRequest in, http::Respond respond);

  // The answer for one request; blocking (runs SQL). Public for tests.
  http::Response Answer(const http::Request& request);

 private:
  const config::Config& config_;
  store::Store& store_;
  boost::asio::thread_pool& workers_;
};

}  // namespace ferry::web
