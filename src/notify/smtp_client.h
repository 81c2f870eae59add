// SmtpClient: sends one message per call over SMTP (RFC 5321) on Boost.Asio and OpenSSL.
//
// - tls: starttls connects in plain text, says EHLO, upgrades with STARTTLS and says EHLO again;
//   a server that does not offer STARTTLS is an error (never a silent fall-back to plain
//   text). tls: tls speaks TLS from the first byte (port 465). tls: none never encrypts.
// - TLS verifies the server's chain against the system store or `ca_file`, and its name.
// - With a username, AUTH PLAIN or else AUTH LOGIN, whichever the server offers; only inside
//   TLS, except with tls: none, where the configuration asked for plain text.
// - Connecting and every read and write have `timeout`, so a server that hangs costs one
//   timeout, never a stuck notifier. Cancel() stops a Send in progress from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace ferry::notify {

struct OutgoingMail {
  std::string from;             // bare address for MAIL FROM
  std::vector<std::string> to;  // bare addresses for RCPT TO
  std::string message;          // RFC 5322 text (BuildMessage); dot-stuffed when sent
};

// Where mail goes: an interface, so the notifier can be tested without a server.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Blocks until the server took the message or the attempt failed. Errors: kUnreachable
  // (connect or I/O failure, TLS failure), kTimeout, kUnavailable (a refusing or malformed
  // reply, a missing extension), kPermissionDenied (login refused), kInvalidArgument (an
  // address that cannot be sent), kUnavailable "stopped" after Cancel.
  virtual base::Status Send(const OutgoingMail& mail) = 0;
  // From any thread: a Send in progress ends soon, later ones fail at once.
  virtual void Cancel() = 0;
};

struct SmtpSettings {
  std::string host;
  uint16_t port = 587;
  config::MailTls tls = config::MailTls::kStartTls;
  std::string username;  // empty = no AUTH
  std::string password;
  std::string ca_file;  // empty = the system store
  std::chrono::milliseconds timeout{30000};

  static SmtpSettings FromConfig(const config::MailConfig& mail);
};

class SmtpClient final : public MailTransport {
 public:
  explicit SmtpClient(SmtpSettings settings);
  ~SmtpClient() override;

  // Loads the trust store. Errors: kInvalidArgument naming mail.ca_file. Call once before Send.
  base::Status Init();

  base::Status Send(const OutgoingMail& mail) override;
  void Cancel() override;

 private:
  const SmtpSettings settings_;
  std::unique_ptr<boost::asio::ssl::context> tls_;

  std::mutex mu_;
  bool cancelled_ = false;                      // GUARDED_BY(mu_)
  boost::asio::io_context* current_ = nullptr;  // GUARDED_BY(mu_): the Send in progress
};

}  // namespace ferry::notify
