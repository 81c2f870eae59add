#include "server/app.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "forward/http_upstream_client.h"
#include "http/server.h"
#include "http/tls.h"
#include "notify/notifier.h"
#include "notify/smtp_client.h"
#include "server/disk_usage.h"
#include "server/endpoints.h"
#include "server/ingest.h"
#include "server/key_cache.h"
#include "server/memory_return.h"
#include "server/metrics.h"
#include "server/spool_status.h"
#include "server/store_setup.h"
#include "server/tunnel.h"
#include "spool/sqlite_spool.h"
#include "store/event_writer.h"
#include "store/retention.h"
#include "web/api.h"

namespace ferry::server {

namespace asio = boost::asio;

namespace {

std::string UrlHost(const asio::ip::tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

// What a new user needs to point an SDK at this server.
void PrintBanner(const config::Config& config, const std::string& listening,
                 const std::optional<store::Project>& project) {
  const char* scheme = config.server.tls.cert_file.empty() ? "http" : "https";
  std::printf("ferry listening on %s://%s\n", scheme, listening.c_str());
  if (config.store.enabled) {
    std::printf("  store: %s (%s)\n", config.store.sqlite_path.c_str(),
                config.store.backend.c_str());
    std::printf("  web UI: %s/login  (create a user first: ferry createuser --email ...)\n",
                config.server.public_url.c_str());
    std::printf("  API: %s/api/0/  (create a token: ferry createuser, then ferry token create)\n",
                config.server.public_url.c_str());
    if (project && !project->keys.empty()) {
      std::printf("  project \"%s\" DSN: %s\n", project->slug.c_str(),
                  DsnFor(config.server.public_url, project->keys.front()).c_str());
    }
  }
  if (config.tunnel.enabled && !config.tunnel.paths.empty()) {
    std::string path = config.tunnel.paths.front();
    if (!path.empty() && path.back() == '*') path.pop_back();
    if (path.empty()) path = "/";
    std::printf("  tunnel URL: %s%s  (the SDKs' `tunnel` option)\n",
                config.server.public_url.c_str(), path.c_str());
    if (config.tunnel.allowed_hosts.empty() && !config.store.enabled) {
      std::printf(
          "  no upstream yet: list your Sentry host in tunnel.allowed_hosts and map old DSNs "
          "in tunnel.remap (see README.md)\n");
    }
  }
  std::printf("  health: %s/api/relay/healthcheck/ready/   metrics: %s/metrics\n",
              config.server.public_url.c_str(), config.server.public_url.c_str());
  std::fflush(stdout);
}

// What the data directory takes on disk and what is left, and what retention and the event
// cap deleted. Read on every scrape: a few stat calls.
void AddDiskMetrics(const config::Config& config, const store::RetentionSweeper* sweeper,
                    Metrics& metrics) {
  const bool durable =
      config.tunnel.enabled && config.tunnel.delivery == config::Delivery::kDurable;
  // A tunnel in direct mode without a store writes nothing to disk (and may have no data_dir).
  if (!durable && sweeper == nullptr) return;
  metrics.AddGauge("ferry_data_dir_available_bytes",
                   "Bytes still available on the file system of data_dir.",
                   [dir = config.data_dir] { return static_cast<double>(SpaceOf(dir).available); });
  metrics.AddGauge("ferry_data_dir_size_bytes", "Size of the file system of data_dir.",
                   [dir = config.data_dir] { return static_cast<double>(SpaceOf(dir).total); });
  if (durable) {
    metrics.AddGauge("ferry_spool_disk_bytes", "Bytes the spool database takes on disk.",
                     [path = config.data_dir + "/spool.db"] {
                       return static_cast<double>(SqliteFileBytes(path));
                     });
  }
  if (sweeper != nullptr) {
    metrics.AddGauge(
        "ferry_store_disk_bytes", "Bytes the store database takes on disk.",
        [path = config.store.sqlite_path] { return static_cast<double>(SqliteFileBytes(path)); });
    metrics.AddCounter("ferry_store_events_expired_total",
                       "Events deleted for being older than retention_days.",
                       [sweeper] { return static_cast<double>(sweeper->stats().expired); });
    metrics.AddCounter("ferry_store_events_capped_total",
                       "Events deleted by store.max_events_per_project.",
                       [sweeper] { return static_cast<double>(sweeper->stats().capped); });
  }
}

// A stop that cannot wait: tearing down an io_context with work still pending would run
// destructors against half-destroyed objects, so the process ends here instead.
[[noreturn]] void ExitNow() {
  std::fflush(stdout);
  std::_Exit(1);
}

}  // namespace

base::Status Serve(const config::Config& config) {
  // A reload (SIGHUP) that arrives while the store and spool open must not end the process;
  // the handler that reloads the certificate is installed once the server runs.
  std::signal(SIGHUP, SIG_IGN);
  int threads = config.server.threads > 0 ? config.server.threads
                                          : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  asio::io_context ioc(threads);

  forward::HttpUpstreamClient client(ioc);
  for (const auto& [host, up] : config.upstreams) {
    if (up.url.rfind("https:", 0) == 0 || !up.ca_file.empty()) {
      auto st = client.PrepareTls(up.ca_file);
      if (!st.ok()) return base::InvalidArgument("upstreams." + host + ".ca_file: " + st.detail());
    }
  }

  MemoryReturn::ConfigureAllocator();
  base::MemoryBudget body_budget(config.limits.max_inflight_bytes);
  http::ServerLimits limits;
  limits.max_body_bytes = config.limits.max_envelope_bytes;
  limits.request_timeout = std::chrono::milliseconds(config.limits.request_timeout_ms);
  limits.idle_timeout = std::chrono::milliseconds(config.limits.idle_timeout_ms);
  limits.max_connections = config.limits.max_connections;
  http::Server server(ioc, limits);
  server.set_budget(&body_budget);
  std::unique_ptr<http::ServerTls> tls;
  if (!config.server.tls.cert_file.empty()) {
    tls =
        std::make_unique<http::ServerTls>(config.server.tls.cert_file, config.server.tls.key_file);
    FERRY_RETURN_IF_ERROR(tls->Load());
    server.set_tls(tls.get());
  }
  FERRY_RETURN_IF_ERROR(server.Listen(config.server.listen_host, config.server.listen_port));
  const std::string listening = UrlHost(server.local_endpoint());

  // With port 0 the default public URL learns the port that was picked.
  config::Config effective = config;
  const std::string scheme = tls ? "https://" : "http://";
  const std::string unbound = scheme + config.server.listen;
  if (config.server.listen_port == 0 && config.server.public_url == unbound) {
    effective.server.public_url = scheme + listening;
  }

  Metrics metrics;
  // The built-in store: SQL runs only on the writer thread, the retention thread and the
  // worker pool, never on the I/O threads.
  std::unique_ptr<store::Store> store;
  std::optional<store::Project> default_project;
  if (effective.store.enabled) {
    auto opened = OpenConfiguredStore(effective);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
    auto made = EnsureDefaultProject(*store);
    if (!made.ok()) return made.status();
    default_project = std::move(*made);
  }
  Workers workers(config.server.workers);
  std::unique_ptr<KeyCache> keys;
  std::unique_ptr<store::EventWriter> writer;
  std::unique_ptr<store::RetentionSweeper> sweeper;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<web::Api> api;
  std::unique_ptr<web::Ui> ui;
  if (store) {
    keys = std::make_unique<KeyCache>(*store);
    FERRY_RETURN_IF_ERROR(keys->Reload());
    writer = std::make_unique<store::EventWriter>(*store);
    store::RetentionOptions retention;
    retention.max_events_per_project = static_cast<int64_t>(effective.store.max_events_per_project);
    sweeper = std::make_unique<store::RetentionSweeper>(*store, base::RealClock(),
                                                        effective.store.retention_days, retention);
    sweeper->Start();
    ingest = std::make_unique<Ingest>(effective, *keys, *writer, metrics, workers);
    api = std::make_unique<web::Api>(effective, *store, workers.light());
    ui = std::make_unique<web::Ui>(effective, *store, workers.light());
  }
  // Mail alerts on new issues and regressions, from the notifier's own thread.
  std::unique_ptr<notify::SmtpClient> smtp;
  std::unique_ptr<notify::Notifier> notifier;
  if (ingest && !effective.mail.host.empty()) {
    smtp = std::make_unique<notify::SmtpClient>(notify::SmtpSettings::FromConfig(effective.mail));
    FERRY_RETURN_IF_ERROR(smtp->Init());
    notifier = std::make_unique<notify::Notifier>(notify::NotifierOptions::FromConfig(effective),
                                                  *smtp, store.get());
    auto* n = notifier.get();
    ingest->set_alert_sink([n](notify::Alert alert) { n->Notify(std::move(alert)); });
    metrics.AddCounter("ferry_mail_sent_total", "Alert mails the mail server accepted.",
                       [n] { return static_cast<double>(n->stats().sent); });
    metrics.AddCounter("ferry_mail_failures_total", "Failed attempts to send a mail (retried).",
                       [n] { return static_cast<double>(n->stats().failures); });
    metrics.AddCounter("ferry_mail_alerts_dropped_total", "Alerts given up without a mail.",
                       [n] { return static_cast<double>(n->stats().dropped); });
    metrics.AddGauge("ferry_mail_queued", "Alerts waiting to be mailed.",
                     [n] { return static_cast<double>(n->stats().queued); });
  }

  // Durable delivery: the spool (its own SQLite file), a group-commit writer in front of it,
  // the drainer behind it, and the rate limits learned from upstream answers.
  const bool durable =
      effective.tunnel.enabled && effective.tunnel.delivery == config::Delivery::kDurable;
  std::unique_ptr<spool::SqliteSpool> spool;
  std::unique_ptr<forward::SpoolWriter> spool_writer;
  std::unique_ptr<forward::Drainer> drainer;
  forward::RateLimitCache rate_limits;
  if (durable) {
    std::error_code ec;
    std::filesystem::create_directories(effective.data_dir, ec);
    if (ec) return base::Unavailable("data_dir " + effective.data_dir + ": " + ec.message());
    spool::SpoolOptions options;
    options.max_bytes = static_cast<int64_t>(effective.spool.max_bytes);
    auto opened = spool::OpenSqliteSpool(effective.data_dir + "/spool.db", options);
    if (!opened.ok()) return opened.status();
    spool = std::move(*opened);
    // `ferry spool status` asks the running server, which holds the spool; this says where.
    std::ofstream(effective.data_dir + "/serve.addr") << listening << "\n";
    spool_writer = std::make_unique<forward::SpoolWriter>(*spool, [&drainer] {
      if (drainer) drainer->Notify();
    });
  }

  std::unique_ptr<Tunnel> tunnel;
  if (effective.tunnel.enabled) {
    auto created = Tunnel::Create(effective, client, metrics, ingest.get(),
                                  DurableDelivery{spool_writer.get(), &rate_limits}, &workers);
    if (!created.ok()) return created.status();
    tunnel = std::move(*created);
  }
  if (durable) {
    forward::DrainerOptions options;
    options.max_age = std::chrono::hours(effective.spool.max_age_hours);
    forward::DrainerEvents events;
    events.delivered = [&metrics](const std::string& label, unsigned status) {
      metrics.CountForward(label, status);
    };
    events.retried = [&metrics](const std::string& label, const std::string& reason) {
      metrics.CountRetry(label, reason);
    };
    events.dropped = [&metrics](const std::string& label, const std::string& reason, int64_t n) {
      metrics.CountDropped(label, reason, static_cast<uint64_t>(n));
    };
    drainer = std::make_unique<forward::Drainer>(
        *spool, client, rate_limits,
        [t = tunnel.get()](const spool::SpoolEntry& e) { return t->Resolve(e); }, options,
        std::move(events));
    drainer->Start();
    // Read from the drainer's last look at the spool: the I/O threads never wait on it.
    auto* d = drainer.get();
    metrics.AddGauge("ferry_spool_entries", "Envelope copies waiting in the spool.",
                     [d] { return static_cast<double>(d->LastStats().entries); });
    metrics.AddGauge("ferry_spool_bytes", "Bytes waiting in the spool.",
                     [d] { return static_cast<double>(d->LastStats().bytes); });
    metrics.AddGauge("ferry_spool_oldest_age_seconds", "Age of the oldest spooled envelope.", [d] {
      auto oldest = d->LastStats().oldest_ms;
      if (oldest == 0) return 0.0;
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      return static_cast<double>(now - oldest) / 1000.0;
    });
  }

  Endpoints endpoints(effective, tunnel.get(), ingest.get(), api.get(), ui.get(), metrics);
  if (spool) {
    // Not ready while the spool cannot take another envelope: a balancer sends traffic elsewhere.
    auto* sp = spool.get();
    endpoints.set_ready_check([sp] { return !sp->WouldOverflow(64 * 1024); });
    endpoints.set_spool_status([d = drainer.get(), max = effective.spool.max_bytes] {
      return SpoolStatusJson(d->LastStats(), d->States(), max);
    });
  }
  AddDiskMetrics(effective, sweeper.get(), metrics);
  metrics.AddGauge("ferry_http_connections_active", "Open client connections.",
                   [&server] { return static_cast<double>(server.active_connections()); });
  metrics.AddGauge("ferry_upstream_connections_opened", "Upstream connections opened so far.",
                   [&client] { return static_cast<double>(client.connections_opened()); });
  metrics.AddGauge("ferry_inflight_body_bytes",
                   "Memory held by request bodies in flight, raw and decoded.",
                   [&body_budget] { return static_cast<double>(body_budget.in_flight()); });
  metrics.AddGauge("ferry_inflight_body_limit_bytes", "limits.max_inflight_bytes.",
                   [&body_budget] { return static_cast<double>(body_budget.limit()); });
  metrics.AddCounter("ferry_budget_refused_total",
                     "Times a request body did not fit the memory budget (503 unless room came).",
                     [&body_budget] { return static_cast<double>(body_budget.refused()); });
  MemoryReturn memory_return(ioc, body_budget, workers);
  metrics.AddCounter("ferry_memory_trims_total", "Times freed memory was given back after a burst.",
                     [&memory_return] { return static_cast<double>(memory_return.trims()); });

  // Graceful stop: the first signal stops accepting and lets in-flight requests finish
  // (bounded by the request timeout); a second signal stops at once.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::signal_set reload(ioc, SIGHUP);  // see on_reload below
  asio::steady_timer grace(ioc);
  asio::steady_timer drained(ioc);
  std::function<void()> wait_drained = [&] {
    drained.expires_after(std::chrono::milliseconds(20));
    drained.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      if (server.active_connections() == 0) {
        grace.cancel();
        signals.cancel();
        reload.cancel();
        return;
      }
      wait_drained();
    });
  };
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int signal) {
    if (ec) return;
    if (server.stopping()) {
      base::Log(base::LogLevel::kWarn, "second signal: exiting now");
      ExitNow();
    }
    base::Log(base::LogLevel::kInfo, "stopping", {{"signal", signal}});
    server.Stop();
    memory_return.Stop();
    // What the drainer has not delivered stays in the spool for the next start.
    if (drainer) drainer->Stop();
    grace.expires_after(limits.request_timeout + std::chrono::seconds(1));
    grace.async_wait([&](boost::system::error_code gec) {
      if (gec) return;
      base::Log(base::LogLevel::kWarn, "grace period over: exiting with requests in flight");
      ExitNow();
    });
    wait_drained();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // SIGHUP reloads the TLS certificate and key (after a renewal); connections already open
  // keep the old ones, and a failed reload keeps serving the old ones.
  std::function<void(boost::system::error_code, int)> on_reload = [&](boost::system::error_code ec,
                                                                      int) {
    if (ec || server.stopping()) return;
    if (tls) {
      auto st = tls->Load();
      if (st.ok()) {
        base::Log(base::LogLevel::kInfo, "TLS certificate reloaded",
                  {{"cert_file", tls->cert_file()}});
      } else {
        base::Log(base::LogLevel::kError, "TLS reload failed; keeping the previous certificate",
                  {{"error", st.detail()}});
      }
    } else {
      base::Log(base::LogLevel::kInfo, "SIGHUP: nothing to reload (no server.tls)");
    }
    reload.async_wait(on_reload);
  };
  reload.async_wait(on_reload);

  server.Start(endpoints);
  memory_return.Start();
  base::Log(base::LogLevel::kInfo, "started",
            {{"listen", listening},
             {"threads", threads},
             {"workers", config.server.workers},
             {"config", config.source}});
  PrintBanner(effective, listening, default_project);

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  // Every request was answered; what the writer still holds was answered 200 and is stored
  // before the process ends.
  workers.Join();
  if (drainer) drainer->Stop();
  if (spool_writer) spool_writer->Stop();
  if (sweeper) sweeper->Stop();
  if (writer) writer->Stop();
  base::Log(base::LogLevel::kInfo, "stopped");
  return base::Status::Ok();
}

}  // namespace ferry::server
