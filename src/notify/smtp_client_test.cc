// SmtpClient against a scripted server on a local socket: the conversation without TLS, the
// refusals that must stop it, and the timeouts and cancellation that keep a hung server from
// hanging the notifier. The TLS paths run against a real server in tests/integration/mail.
#include "notify/smtp_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <future>
#include <istream>
#include <optional>
#include <thread>

namespace ferry::notify {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One connection, handled by `script` on its own thread with blocking I/O.
class ScriptedServer {
 public:
  class Peer {
   public:
    explicit Peer(tcp::socket& s) : socket_(s) {}
    void Say(const std::string& text) {
      boost::system::error_code ec;
      asio::write(socket_, asio::buffer(text), ec);
    }
    // The next line without CRLF, "" when the client closed.
    std::string Line() { return ReadLine().value_or(""); }
    // DATA up to and including the lone ".".
    std::string Data() {
      std::string data;
      for (auto line = ReadLine(); line && *line != "."; line = ReadLine()) data += *line + "\r\n";
      return data;
    }

   private:
    std::optional<std::string> ReadLine() {
      boost::system::error_code ec;
      size_t n = asio::read_until(socket_, buffer_, "\r\n", ec);
      if (ec) return std::nullopt;
      std::string line(asio::buffers_begin(buffer_.data()),
                       asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(n - 2));
      buffer_.consume(n);
      return line;
    }

    tcp::socket& socket_;
    asio::streambuf buffer_;
  };

  explicit ScriptedServer(std::function<void(Peer&)> script)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, script = std::move(script)] {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      accepted_ = true;
      if (ec) return;
      Peer peer(socket);
      script(peer);
      script_done_.set_value();
      // Hold the connection until the test is done with it (a hung server stays silent).
      release_.get_future().wait();
    });
  }
  ~ScriptedServer() {
    release_.set_value();
    if (!accepted_) {
      // A test that failed before connecting: a blocking accept only ends with a connection.
      asio::io_context ioc;
      tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect(acceptor_.local_endpoint(), ec);
      s.close(ec);
      thread_.join();
      return;
    }
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Waits until the script has run to its end (what it recorded is then safe to read).
  void WaitScript() { script_done_future_.wait(); }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::promise<void> release_;
  std::atomic<bool> accepted_{false};
  std::promise<void> script_done_;
  std::future<void> script_done_future_ = script_done_.get_future();
  std::thread thread_;
};

SmtpSettings Plain(uint16_t port) {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = port;
  s.tls = config::MailTls::kNone;
  s.timeout = std::chrono::milliseconds(2000);
  return s;
}

OutgoingMail Mail() {
  return {"ferry@example.com",
          {"ops@example.com", "gone@example.com"},
          "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"};
}

TEST(SmtpClientTest, PlainConversationWithMultiLineRepliesAndARefusedRecipient) {
  std::vector<std::string> commands;
  std::string data;
  ScriptedServer server([&](ScriptedServer::Peer& p) {
    p.Say("220-mx.example.com ESMTP\r\n220 second greeting line\r\n");
    commands.push_back(p.Line());  // EHLO
    p.Say("250-mx.example.com\r\n250-SIZE 1000000\r\n250 AUTH PLAIN LOGIN\r\n");
    commands.push_back(p.Line());  // AUTH PLAIN ...
    p.Say("235 2.7.0 ok\r\n");
    commands.push_back(p.Line());
    p.Say("250 ok\r\n");
    commands.push_back(p.Line());
    p.Say("250 ok\r\n");
    commands.push_back(p.Line());
    p.Say("550 no such user\r\n");
    commands.push_back(p.Line());
    p.Say("354 go ahead\r\n");
    data = p.Data();
    p.Say("250 queued\r\n");
    commands.push_back(p.Line());
    p.Say("221 bye\r\n");
  });
  SmtpSettings settings = Plain(server.port());
  settings.username = "alice";
  settings.password = "pw";
  SmtpClient client(settings);
  ASSERT_TRUE(client.Init().ok());
  base::Status st = client.Send(Mail());
  EXPECT_TRUE(st.ok()) << st.ToString();
  server.WaitScript();
  ASSERT_EQ(commands.size(), 7u);
  EXPECT_EQ(commands[0], "EHLO [127.0.0.1]");
  EXPECT_EQ(commands[1], "AUTH PLAIN AGFsaWNlAHB3");
  EXPECT_THAT(std::vector<std::string>(commands.begin() + 2, commands.end()),
              ElementsAre("MAIL FROM:<ferry@example.com>", "RCPT TO:<ops@example.com>",
                          "RCPT TO:<gone@example.com>", "DATA", "QUIT"));
  EXPECT_EQ(data, "Subject: hi\r\n\r\n..leading dot\r\nbody\r\n");
}

TEST(SmtpClientTest, StartTlsRequiredButNotOfferedStopsBeforeAnyMail) {
  std::vector<std::string> commands;
  ScriptedServer server([&](ScriptedServer::Peer& p) {
    p.Say("220 mx ESMTP\r\n");
    commands.push_back(p.Line());
    p.Say("250-mx\r\n250 AUTH PLAIN\r\n");
    commands.push_back(p.Line());  // whatever comes next: must be nothing
  });
  SmtpSettings settings = Plain(server.port());
  settings.tls = config::MailTls::kStartTls;
  settings.username = "alice";
  settings.password = "pw";
  SmtpClient client(settings);
  ASSERT_TRUE(client.Init().ok());
  base::Status st = client.Send(Mail());
  EXPECT_EQ(st.code(), base::Code::kUnavailable);
  EXPECT_THAT(st.detail(), HasSubstr("does not offer STARTTLS"));
  server.WaitScript();
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[1], "") << "no AUTH and no MAIL in plain text";
}

TEST(SmtpClientTest, RefusalsAndProtocolErrorsAreErrors) {
  {
    ScriptedServer server([](ScriptedServer::Peer& p) { p.Say("554 go away\r\n"); });
    SmtpClient client(Plain(server.port()));
    ASSERT_TRUE(client.Init().ok());
    base::Status st = client.Send(Mail());
    EXPECT_EQ(st.code(), base::Code::kUnavailable);
    EXPECT_THAT(st.detail(), HasSubstr("554 go away"));
  }
  {
    ScriptedServer server([](ScriptedServer::Peer& p) { p.Say("hello there\r\n"); });
    SmtpClient client(Plain(server.port()));
    ASSERT_TRUE(client.Init().ok());
    EXPECT_THAT(client.Send(Mail()).detail(), HasSubstr("malformed SMTP reply"));
  }
  {
    ScriptedServer server([](ScriptedServer::Peer& p) {
      p.Say("220 mx\r\n");
      p.Line();
      p.Say("250 mx\r\n");
      p.Line();
      p.Say("451 try later\r\n");
    });
    SmtpClient client(Plain(server.port()));
    ASSERT_TRUE(client.Init().ok());
    base::Status st = client.Send(Mail());
    EXPECT_EQ(st.code(), base::Code::kUnavailable);
    EXPECT_THAT(st.detail(), HasSubstr("MAIL FROM: 451 try later"));
  }
}

TEST(SmtpClientTest, AHungServerTimesOut) {
  ScriptedServer server([](ScriptedServer::Peer&) {});  // accepts, never says a word
  SmtpSettings settings = Plain(server.port());
  settings.timeout = std::chrono::milliseconds(200);
  SmtpClient client(settings);
  ASSERT_TRUE(client.Init().ok());
  base::Status st = client.Send(Mail());
  EXPECT_EQ(st.code(), base::Code::kTimeout) << st.ToString();
}

TEST(SmtpClientTest, CancelEndsASendInProgressAndLaterOnes) {
  ScriptedServer server([](ScriptedServer::Peer&) {});
  SmtpSettings settings = Plain(server.port());
  settings.timeout = std::chrono::minutes(10);  // only Cancel can end this Send
  SmtpClient client(settings);
  ASSERT_TRUE(client.Init().ok());
  auto sending = std::async(std::launch::async, [&] { return client.Send(Mail()); });
  // Cancel may come before or during the Send; either way it must end.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  client.Cancel();
  base::Status st = sending.get();
  EXPECT_EQ(st.code(), base::Code::kUnavailable);
  EXPECT_EQ(st.detail(), "stopped");
  EXPECT_EQ(client.Send(Mail()).detail(), "stopped");
}

TEST(SmtpClientTest, ConnectionRefusedIsUnreachable) {
  uint16_t port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  SmtpClient client(Plain(port));
  ASSERT_TRUE(client.Init().ok());
  EXPECT_EQ(client.Send(Mail()).code(), base::Code::kUnreachable);
}

TEST(SmtpClientTest, ABadCaFileIsAConfigurationError) {
  SmtpSettings settings = Plain(25);
  settings.tls = config::MailTls::kTls;
  settings.ca_file = "/nonexistent/ca.pem";
  SmtpClient client(settings);
  base::Status st = client.Init();
  EXPECT_EQ(st.code(), base::Code::kInvalidArgument);
  EXPECT_THAT(st.detail(), HasSubstr("mail.ca_file"));
}

}  // namespace
}  // namespace ferry::notify
