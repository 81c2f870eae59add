#include "server/tunnel.h"

#include <gtest/gtest.h>

#include "protocol/envelope.h"

namespace ferry::server {
namespace {

// Records what the tunnel would send; answers nothing (Prepare is tested without the network).
class RecordingClient final : public forward::UpstreamClient {
 public:
  void Send(const forward::Endpoint& endpoint, forward::OutgoingRequest request,
            forward::ResponseCallback done) override {
    endpoints.push_back(endpoint);
    requests.push_back(std::move(request));
    done(forward::UpstreamResponse{200, R"({"id":"x"})", "application/json", "", ""});
  }
  std::vector<forward::Endpoint> endpoints;
  std::vector<forward::OutgoingRequest> requests;
};

constexpr const char* kOld = "https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4";
constexpr const char* kNew = "https://1b13ae41ee7c898ce3c49d04781eb908@sentry.example.com/2";

config::Config TestConfig() {
  auto config = config::ParseConfig(R"(
server: { listen: "127.0.0.1:9000" }
store: { enabled: false }
tunnel:
  delivery: direct
  allowed_hosts: ["sentry.example.com", "other.example:8443"]
  remap:
    "https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4": "https://1b13ae41ee7c898ce3c49d04781eb908@sentry.example.com/2"
    "https://aaaa@sentry.example.com/9":
      - "https://bbbb@sentry.example.com/10"
      - "http://cccc@other.example:8443/11"
upstreams:
  "sentry.example.com": { url: "http://127.0.0.1:9001", timeout_ms: 1234 }
)",
                                    "test");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return *config;
}

http::IncomingRequest Post(std::string body) {
  http::IncomingRequest in;
  in.request = http::Request{http::bhttp::verb::post, "/tunnel", 11};
  in.request.body() = std::move(body);
  in.request.set("X-Sentry-Auth",
                 "Sentry sentry_key=2235e5c99219488ea93da34b9ac1cb68, "
                 "sentry_version=7, sentry_client=sentry.dart.flutter/8.0.0");
  in.request.set("User-Agent", "sentry.dart.flutter/8.0.0");
  in.peer_ip = "198.51.100.4";
  return in;
}

class TunnelTest : public ::testing::Test {
 protected:
  config::Config config_ = TestConfig();
  RecordingClient client_;
  Metrics metrics_;
  std::unique_ptr<Tunnel> tunnel_ = Tunnel::Create(config_, client_, metrics_).value();
};

TEST_F(TunnelTest, RemapsHeaderAndKeepsPayloadBytes) {
  std::string payload = std::string("{\"type\":\"attachment\",\"length\":4}\n") +
                        std::string("\0\n\xff\x01", 4) + "\n";
  std::string body = std::string("{\"dsn\":\"") + kOld +
                     "\",\"trace\":{\"public_key\":\"2235e5c99219488ea93da34b9ac1cb68\"}}\n" +
                     payload;
  auto in = Post(body);
  auto deliveries = tunnel_->Prepare(in);
  ASSERT_TRUE(deliveries.ok()) << deliveries.status().ToString();
  ASSERT_EQ(deliveries->size(), 1u);
  const auto& d = (*deliveries)[0];
  const std::string sent = *d.request.WholeBody();
  // The payload is not copied: the original body is shared, after the rewritten header line.
  EXPECT_EQ(d.request.body_rest(), "\n" + payload);
  auto header = protocol::ParseEnvelopeHeader(sent);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->Find("dsn")->string_value, kNew);
  EXPECT_NE(header->line.find("\"public_key\":\"1b13ae41ee7c898ce3c49d04781eb908\""),
            std::string::npos);
  EXPECT_EQ(sent.substr(header->line.size() + 1), payload);
  EXPECT_EQ(d.request.target, "/api/2/envelope/");
  EXPECT_EQ(d.request.host_header, "sentry.example.com");
  EXPECT_EQ(d.endpoint.host, "127.0.0.1");
  EXPECT_EQ(d.endpoint.port, 9001);
  EXPECT_EQ(d.endpoint.timeout.count(), 1234);
  bool auth_seen = false;
  for (const auto& [name, value] : d.request.headers) {
    EXPECT_EQ(value.find("2235e5c9"), std::string::npos) << name;
    if (name == "X-Sentry-Auth") {
      auth_seen = true;
      EXPECT_EQ(value,
                "Sentry sentry_version=7, sentry_key=1b13ae41ee7c898ce3c49d04781eb908, "
                "sentry_client=sentry.dart.flutter/8.0.0");
    }
    if (name == "X-Forwarded-For") {
      EXPECT_EQ(value, "198.51.100.4");
    }
  }
  EXPECT_TRUE(auth_seen);
}

TEST_F(TunnelTest, ListRemapFansOutWithOwnHeaders) {
  auto in = Post("{\"dsn\":\"https://aaaa@sentry.example.com/9\"}\n{\"type\":\"event\"}\n{}\n");
  auto deliveries = tunnel_->Prepare(in);
  ASSERT_TRUE(deliveries.ok()) << deliveries.status().ToString();
  ASSERT_EQ(deliveries->size(), 2u);
  EXPECT_EQ((*deliveries)[1].request.target, "/api/11/envelope/");
  EXPECT_EQ((*deliveries)[1].endpoint.host, "other.example");
  EXPECT_EQ((*deliveries)[1].endpoint.port, 8443);
  EXPECT_EQ((*deliveries)[1].request.host_header, "other.example:8443");
  const std::string second_body = *(*deliveries)[1].request.WholeBody();
  auto second = protocol::ParseEnvelopeHeader(second_body);
  EXPECT_EQ(second->Find("dsn")->string_value, "http://cccc@other.example:8443/11");
}

TEST_F(TunnelTest, UnmappedAllowedDsnPassesUnchanged) {
  std::string body = "{\"dsn\":\"https://k@sentry.example.com/5\"}\n{\"type\":\"event\"}\n{}";
  auto in = Post(body);
  auto deliveries = tunnel_->Prepare(in);
  ASSERT_TRUE(deliveries.ok());
  EXPECT_EQ(*(*deliveries)[0].request.WholeBody(), body);
  EXPECT_TRUE((*deliveries)[0].request.prefix.empty());
}

TEST_F(TunnelTest, RefusesWhatIsNotAllowed) {
  for (const char* dsn :
       {"https://k@sentry.example.com.evil.example/1", "https://k@sentry.example.com:444/1",
        "http://k@127.0.0.1/1", "https://k@other.example/1"}) {
    auto in = Post(std::string("{\"dsn\":\"") + dsn + "\"}\n");
    auto deliveries = tunnel_->Prepare(in);
    ASSERT_FALSE(deliveries.ok()) << dsn;
    EXPECT_EQ(deliveries.status().code(), base::Code::kPermissionDenied) << dsn;
  }
}

TEST_F(TunnelTest, BadHeadersAreInvalidArgument) {
  for (const char* body :
       {"", "not json\n", "[1]\n", "{}\n", "{\"dsn\":4}\n", "{\"dsn\":\"nope\"}\n",
        "{\"dsn\":\"https://k@sentry.example.com/\"}\n"}) {
    auto in = Post(body);
    auto deliveries = tunnel_->Prepare(in);
    ASSERT_FALSE(deliveries.ok()) << body;
    EXPECT_EQ(deliveries.status().code(), base::Code::kInvalidArgument) << body;
    EXPECT_FALSE(deliveries.status().detail().empty());
  }
}

TEST_F(TunnelTest, HandleAnswersWithTheFirstTargetsResponse) {
  auto in = Post("{\"dsn\":\"https://aaaa@sentry.example.com/9\"}\n");
  http::Response got;
  tunnel_->Handle(std::move(in), http::Respond([&](http::Response r) { got = std::move(r); }));
  EXPECT_EQ(got.result_int(), 200u);
  EXPECT_EQ(got.body(), R"({"id":"x"})");
  EXPECT_EQ(client_.requests.size(), 2u);
}

}  // namespace
}  // namespace ferry::server
