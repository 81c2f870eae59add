// TLS for the server: a certificate and key loaded into an OpenSSL context with modern
// settings only (TLS 1.2 and 1.3, ECDHE key exchange with AEAD ciphers, no compression or
// renegotiation), and reloadable while serving. Connections keep the context they started
// with; a reload only affects connections accepted afterwards, and a failed reload keeps the
// previous certificate (a half-renewed certificate must not take the server down).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"

namespace boost::asio::ssl {
class context;
}

namespace ferry::http {

class ServerTls {
 public:
  ServerTls(std::string cert_file, std::string key_file);
  ~ServerTls();
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // Reads the certificate chain and key files again. Errors name the file and OpenSSL's
  // reason: kInvalidArgument (unreadable, not PEM, key does not match the certificate).
  base::Status Load();

  // The context new connections use. REQUIRES: a Load() succeeded.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  const std::string& cert_file() const { return cert_file_; }

 private:
  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // guarded by mu_
};

}  // namespace ferry::http
