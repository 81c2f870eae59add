#include "notify/smtp_client.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

#include "base/log.h"
#include "base/strings.h"
#include "notify/smtp_protocol.h"
#include "store/base64.h"

namespace ferry::notify {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using config::MailTls;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxLineBytes = 4096;  // RFC 5321 allows 512 for a reply line; be lenient
constexpr auto kCancelGrace = std::chrono::seconds(1);

base::Status IoError(const boost::system::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) {
    return base::Timeout("mail server: " + std::string(what) + " timed out");
  }
  return base::Unreachable("mail server: " + std::string(what) + " failed: " + ec.message());
}

base::Status Refused(std::string_view what, const SmtpReply& reply) {
  return base::Unavailable("mail server refused " + std::string(what) + ": " + reply.Summary());
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One SMTP conversation: its socket, its read buffer and the steps of RFC 5321.
class Conversation {
 public:
  Conversation(asio::io_context& ioc, const SmtpSettings& settings, ssl::context* tls)
      : ioc_(ioc), settings_(settings), tls_context_(tls) {}

  asio::awaitable<base::Status> Run(const OutgoingMail& mail);

  void Close() {
    boost::system::error_code ec;
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ec);
    if (plain_) plain_->socket().close(ec);
  }

 private:
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  asio::awaitable<base::Status> Connect();
  asio::awaitable<base::Status> StartTls();
  asio::awaitable<base::Status> Write(std::string_view text, std::string_view what);
  asio::awaitable<base::Result<SmtpReply>> Read(std::string_view what);
  // Sends `line` (without CRLF) and reads the reply. `what` names the step in errors; the line
  // itself may hold credentials and is never part of a message.
  asio::awaitable<base::Result<SmtpReply>> Command(const std::string& line, std::string_view what);
  asio::awaitable<base::Result<SmtpCapabilities>> Hello();
  asio::awaitable<base::Status> Authenticate(const SmtpCapabilities& caps);

  asio::io_context& ioc_;
  const SmtpSettings& settings_;
  ssl::context* tls_context_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::string buffer_;
  std::string hello_name_;
};

asio::awaitable<base::Status> Conversation::Connect() {
  tcp::resolver resolver(ioc_);
  auto [rec, results] =
      co_await resolver.async_resolve(settings_.host, std::to_string(settings_.port), kUse);
  if (rec) co_return IoError(rec, "resolving " + settings_.host);
  plain_ = std::make_unique<beast::tcp_stream>(ioc_);
  plain_->expires_after(settings_.timeout);
  auto [cec, endpoint] = co_await plain_->async_connect(results, kUse);
  if (cec) {
    co_return IoError(cec,
                      "connecting to " + settings_.host + ":" + std::to_string(settings_.port));
  }
  // EHLO names the client; without a known host name RFC 5321 asks for an address literal.
  boost::system::error_code ec;
  auto local = plain_->socket().local_endpoint(ec).address();
  hello_name_ = local.is_v6() ? "[IPv6:" + local.to_string() + "]" : "[" + local.to_string() + "]";
  co_return base::Status::Ok();
}

asio::awaitable<base::Status> Conversation::StartTls() {
  // Bytes read before the upgrade would be unauthenticated plain text: they are dropped.
  buffer_.clear();
  tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*plain_), *tls_context_);
  plain_.reset();
  if (!IsIpAddress(settings_.host)) {
    SSL_set_tlsext_host_name(tls_->native_handle(), settings_.host.c_str());
  }
  boost::system::error_code ec;
  tls_->set_verify_mode(ssl::verify_peer, ec);
  tls_->set_verify_callback(ssl::host_name_verification(settings_.host), ec);
  if (ec) co_return base::Internal("cannot set up TLS verification: " + ec.message());
  Lowest().expires_after(settings_.timeout);
  auto [hec] = co_await tls_->async_handshake(ssl::stream_base::client, kUse);
  if (hec) co_return IoError(hec, "TLS handshake with " + settings_.host);
  co_return base::Status::Ok();
}

asio::awaitable<base::Status> Conversation::Write(std::string_view text, std::string_view what) {
  Lowest().expires_after(settings_.timeout);
  boost::system::error_code ec;
  if (tls_) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*tls_, asio::buffer(text), kUse);
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_write(*plain_, asio::buffer(text), kUse);
  }
  if (ec) co_return IoError(ec, std::string("sending ") + std::string(what));
  co_return base::Status::Ok();
}

asio::awaitable<base::Result<SmtpReply>> Conversation::Read(std::string_view what) {
  ReplyParser parser;
  while (!parser.done()) {
    Lowest().expires_after(settings_.timeout);
    boost::system::error_code ec;
    size_t n = 0;
    auto buffer = asio::dynamic_buffer(buffer_, kMaxLineBytes);
    if (tls_) {
      std::tie(ec, n) = co_await asio::async_read_until(*tls_, buffer, "\r\n", kUse);
    } else {
      std::tie(ec, n) = co_await asio::async_read_until(*plain_, buffer, "\r\n", kUse);
    }
    if (ec == asio::error::not_found) {
      co_return base::Unavailable("mail server: a reply line to " + std::string(what) +
                                  " is longer than " + std::to_string(kMaxLineBytes) + " bytes");
    }
    if (ec) co_return IoError(ec, "reading the reply to " + std::string(what));
    std::string_view line(buffer_.data(), n - 2);
    base::Status st = parser.Feed(line);
    buffer_.erase(0, n);
    if (!st.ok()) co_return st;
  }
  co_return parser.Take();
}

asio::awaitable<base::Result<SmtpReply>> Conversation::Command(const std::string& line,
                                                               std::string_view what) {
  base::Status st = co_await Write(line + "\r\n", what);
  if (!st.ok()) co_return st;
  co_return co_await Read(what);
}

asio::awaitable<base::Result<SmtpCapabilities>> Conversation::Hello() {
  auto ehlo = co_await Command("EHLO " + hello_name_, "EHLO");
  if (!ehlo.ok()) co_return ehlo.status();
  if (ehlo->code == 250) co_return ParseCapabilities(*ehlo);
  // An old server without extensions: HELO, which is enough for plain unauthenticated mail.
  auto helo = co_await Command("HELO " + hello_name_, "HELO");
  if (!helo.ok()) co_return helo.status();
  if (helo->code != 250) co_return Refused("EHLO and HELO", *helo);
  co_return SmtpCapabilities{};
}

asio::awaitable<base::Status> Conversation::Authenticate(const SmtpCapabilities& caps) {
  if (!tls_ && settings_.tls != MailTls::kNone) {
    co_return base::Internal("refusing to send credentials without TLS");
  }
  auto login_refused = [](const SmtpReply& reply) {
    return base::PermissionDenied("mail server refused the login: " + reply.Summary());
  };
  if (caps.auth_plain) {
    auto reply = co_await Command(
        "AUTH PLAIN " + AuthPlainResponse(settings_.username, settings_.password), "AUTH PLAIN");
    if (!reply.ok()) co_return reply.status();
    if (reply->code != 235) co_return login_refused(*reply);
    co_return base::Status::Ok();
  }
  if (caps.auth_login) {
    auto reply = co_await Command("AUTH LOGIN", "AUTH LOGIN");
    if (!reply.ok()) co_return reply.status();
    if (reply->code != 334) co_return Refused("AUTH LOGIN", *reply);
    reply = co_await Command(store::Base64Encode(settings_.username), "AUTH LOGIN username");
    if (!reply.ok()) co_return reply.status();
    if (reply->code != 334) co_return login_refused(*reply);
    reply = co_await Command(store::Base64Encode(settings_.password), "AUTH LOGIN password");
    if (!reply.ok()) co_return reply.status();
    if (reply->code != 235) co_return login_refused(*reply);
    co_return base::Status::Ok();
  }
  co_return base::Unavailable(
      "mail server offers neither AUTH PLAIN nor AUTH LOGIN, and mail.username is set");
}

asio::awaitable<base::Status> Conversation::Run(const OutgoingMail& mail) {
  base::Status st = co_await Connect();
  if (!st.ok()) co_return st;
  if (settings_.tls == MailTls::kTls) {
    st = co_await StartTls();
    if (!st.ok()) co_return st;
  }
  auto greeting = co_await Read("the greeting");
  if (!greeting.ok()) co_return greeting.status();
  if (greeting->code != 220) co_return Refused("the session", *greeting);

  auto caps = co_await Hello();
  if (!caps.ok()) co_return caps.status();
  if (settings_.tls == MailTls::kStartTls) {
    if (!caps->starttls) {
      co_return base::Unavailable(
          "mail server does not offer STARTTLS (mail.tls: starttls; use tls: none only on a "
          "trusted network)");
    }
    auto reply = co_await Command("STARTTLS", "STARTTLS");
    if (!reply.ok()) co_return reply.status();
    if (reply->code != 220) co_return Refused("STARTTLS", *reply);
    st = co_await StartTls();
    if (!st.ok()) co_return st;
    caps = co_await Hello();  // the capabilities before TLS are not to be trusted
    if (!caps.ok()) co_return caps.status();
  }
  if (!settings_.username.empty()) {
    st = co_await Authenticate(*caps);
    if (!st.ok()) co_return st;
  }

  auto reply = co_await Command("MAIL FROM:<" + mail.from + ">", "MAIL FROM");
  if (!reply.ok()) co_return reply.status();
  if (reply->code != 250) co_return Refused("MAIL FROM", *reply);
  // One refused recipient (a stale user address) must not hold back everyone else's mail.
  size_t accepted = 0;
  std::optional<SmtpReply> refused;
  for (const std::string& to : mail.to) {
    reply = co_await Command("RCPT TO:<" + to + ">", "RCPT TO");
    if (!reply.ok()) co_return reply.status();
    if (reply->code == 250 || reply->code == 251) {
      ++accepted;
    } else {
      base::Log(base::LogLevel::kWarn, "mail recipient refused",
                {{"to", to}, {"reply", reply->Summary()}});
      refused = *reply;
    }
  }
  if (accepted == 0) co_return Refused("every recipient", *refused);
  reply = co_await Command("DATA", "DATA");
  if (!reply.ok()) co_return reply.status();
  if (reply->code != 354) co_return Refused("DATA", *reply);
  st = co_await Write(DotStuff(mail.message), "the message");
  if (!st.ok()) co_return st;
  reply = co_await Read("the message");
  if (!reply.ok()) co_return reply.status();
  if (reply->code != 250) co_return Refused("the message", *reply);

  // The message is accepted; how QUIT goes does not change that.
  (void)co_await Command("QUIT", "QUIT");
  Close();
  co_return base::Status::Ok();
}

}  // namespace

SmtpSettings SmtpSettings::FromConfig(const config::MailConfig& mail) {
  SmtpSettings s;
  s.host = mail.host;
  s.port = mail.port;
  s.tls = mail.tls;
  s.username = mail.username;
  s.password = mail.password;
  s.ca_file = mail.ca_file;
  s.timeout = std::chrono::milliseconds(mail.timeout_ms);
  return s;
}

SmtpClient::SmtpClient(SmtpSettings settings) : settings_(std::move(settings)) {}

SmtpClient::~SmtpClient() = default;

base::Status SmtpClient::Init() {
  if (settings_.tls == MailTls::kNone) return base::Status::Ok();
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (settings_.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(settings_.ca_file, ec);
  }
  if (ec) {
    return base::InvalidArgument("mail.ca_file: cannot load " +
                                 (settings_.ca_file.empty() ? std::string("the system trust store")
                                                            : base::JsonQuote(settings_.ca_file)) +
                                 ": " + ec.message());
  }
  tls_ = std::move(ctx);
  return base::Status::Ok();
}

base::Status SmtpClient::Send(const OutgoingMail& mail) {
  FERRY_RETURN_IF_ERROR(CheckEnvelopeAddress(mail.from));
  for (const auto& to : mail.to) FERRY_RETURN_IF_ERROR(CheckEnvelopeAddress(to));
  if (mail.to.empty()) return base::InvalidArgument("no recipients");
  if (settings_.tls != MailTls::kNone && !tls_) {
    return base::Internal("SmtpClient::Init was not called");
  }

  std::optional<base::Status> result;
  asio::io_context ioc(1);
  Conversation conversation(ioc, settings_, tls_.get());
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return base::Unavailable("stopped");
    current_ = &ioc;
  }
  asio::co_spawn(ioc, conversation.Run(mail), [&result](std::exception_ptr e, base::Status st) {
    result = e ? base::Internal("unexpected failure in the SMTP conversation") : std::move(st);
  });
  ioc.run();
  {
    std::lock_guard lock(mu_);
    current_ = nullptr;
  }
  if (!result) {
    // Cancelled: with the socket closed every pending step fails at once and the coroutine
    // ends; what is still pending after the grace period dies with the io_context.
    conversation.Close();
    ioc.restart();
    ioc.run_for(kCancelGrace);
    return base::Unavailable("stopped");
  }
  return *result;
}

void SmtpClient::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (current_) current_->stop();
}

}  // namespace ferry::notify
