#include "server/metrics.h"

#include <fmt/format.h>

namespace ferry::server {

namespace {

// Seconds; from 0.5 ms (a local hop) to 30 s (the default request timeout).
constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1,     2.5,  5,     30};

std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Metrics::Metrics() {
  AddCounter("ferry_decompression_bombs_total",
             "Compressed bodies refused because they decoded past their bound.",
             [this] { return static_cast<double>(bombs()); });
}

void Metrics::CountRequest(std::string_view route, unsigned status,
                           std::chrono::nanoseconds latency, uint64_t bytes_in,
                           uint64_t bytes_out) {
  double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), status}];
  auto& h = latency_[std::string(route)];
  if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      ++h.buckets[i];
      break;
    }
  }
  h.sum += seconds;
  ++h.count;
  bytes_in_ += bytes_in;
  bytes_out_ += bytes_out;
}

void Metrics::CountForward(std::string_view upstream, unsigned status) {
  std::lock_guard lock(mu_);
  ++forwarded_[{std::string(upstream), status}];
}

void Metrics::CountRejected(std::string_view reason) {
  std::lock_guard lock(mu_);
  ++rejected_[std::string(reason)];
}

void Metrics::CountItem(std::string_view category, std::string_view outcome) {
  std::lock_guard lock(mu_);
  ++items_[{std::string(category), std::string(outcome)}];
}

void Metrics::CountRetry(std::string_view upstream, std::string_view reason) {
  std::lock_guard lock(mu_);
  ++retries_[{std::string(upstream), std::string(reason)}];
}

void Metrics::CountDropped(std::string_view upstream, std::string_view reason, uint64_t n) {
  std::lock_guard lock(mu_);
  dropped_[{std::string(upstream), std::string(reason)}] += n;
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read), "gauge"});
}

void Metrics::AddCounter(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read), "counter"});
}

std::string Metrics::Render() const {
  std::string out;
  auto line = [&out](std::string_view s) {
    out += s;
    out += '\n';
  };
  std::lock_guard lock(mu_);
  line("# HELP ferry_http_requests_total HTTP requests answered, by route and status.");
  line("# TYPE ferry_http_requests_total counter");
  for (const auto& [key, n] : requests_) {
    line(fmt::format("ferry_http_requests_total{{route=\"{}\",status=\"{}\"}} {}",
                     Escape(key.first), key.second, n));
  }
  line("# HELP ferry_http_request_duration_seconds Time from reading a request to answering it.");
  line("# TYPE ferry_http_request_duration_seconds histogram");
  for (const auto& [route, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      cumulative += h.buckets[i];
      line(fmt::format("ferry_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}",
                       Escape(route), kBounds[i], cumulative));
    }
    line(fmt::format("ferry_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}",
                     Escape(route), h.count));
    line(fmt::format("ferry_http_request_duration_seconds_sum{{route=\"{}\"}} {}", Escape(route),
                     h.sum));
    line(fmt::format("ferry_http_request_duration_seconds_count{{route=\"{}\"}} {}", Escape(route),
                     h.count));
  }
  line("# HELP ferry_http_received_bytes_total Request bytes read from clients.");
  line("# TYPE ferry_http_received_bytes_total counter");
  line(fmt::format("ferry_http_received_bytes_total {}", bytes_in_));
  line("# HELP ferry_http_sent_bytes_total Response body bytes sent to clients.");
  line("# TYPE ferry_http_sent_bytes_total counter");
  line(fmt::format("ferry_http_sent_bytes_total {}", bytes_out_));
  line(
      "# HELP ferry_tunnel_forwarded_total Envelope copies sent upstream, by upstream and status.");
  line("# TYPE ferry_tunnel_forwarded_total counter");
  for (const auto& [key, n] : forwarded_) {
    line(fmt::format("ferry_tunnel_forwarded_total{{upstream=\"{}\",status=\"{}\"}} {}",
                     Escape(key.first), key.second, n));
  }
  line("# HELP ferry_tunnel_rejected_total Tunnel requests refused, by reason.");
  line("# TYPE ferry_tunnel_rejected_total counter");
  for (const auto& [reason, n] : rejected_) {
    line(fmt::format("ferry_tunnel_rejected_total{{reason=\"{}\"}} {}", Escape(reason), n));
  }
  line("# HELP ferry_ingest_items_total Items offered to the built-in store, by outcome.");
  line("# TYPE ferry_ingest_items_total counter");
  for (const auto& [key, n] : items_) {
    line(fmt::format("ferry_ingest_items_total{{category=\"{}\",outcome=\"{}\"}} {}",
                     Escape(key.first), Escape(key.second), n));
  }
  line("# HELP ferry_tunnel_retries_total Failed delivery attempts that will be retried.");
  line("# TYPE ferry_tunnel_retries_total counter");
  for (const auto& [key, n] : retries_) {
    line(fmt::format("ferry_tunnel_retries_total{{upstream=\"{}\",reason=\"{}\"}} {}",
                     Escape(key.first), Escape(key.second), n));
  }
  line("# HELP ferry_tunnel_dropped_total Envelope copies given up for good, by reason.");
  line("# TYPE ferry_tunnel_dropped_total counter");
  for (const auto& [key, n] : dropped_) {
    line(fmt::format("ferry_tunnel_dropped_total{{upstream=\"{}\",reason=\"{}\"}} {}",
                     Escape(key.first), Escape(key.second), n));
  }
  for (const auto& g : gauges_) {
    line(fmt::format("# HELP {} {}", g.name, g.help));
    line(fmt::format("# TYPE {} {}", g.name, g.type));
    line(fmt::format("{} {}", g.name, g.read()));
  }
  return out;
}

}  // namespace ferry::server
