#include "web/auth.h"

#include <gtest/gtest.h>

#include "store/credentials.h"
#include "store/testing/test_util.h"
#include "web/ui.h"

namespace ferry::web {
namespace {

using namespace std::chrono_literals;

TEST(AuthTest, CookieValueFindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; ferry_session=abc; b=2", "ferry_session"), "abc");
  EXPECT_EQ(CookieValue("ferry_session=\"q\"", "ferry_session"), "q");
  EXPECT_EQ(CookieValue("xferry_session=abc", "ferry_session"), "");
  EXPECT_EQ(CookieValue("", "ferry_session"), "");
  EXPECT_EQ(CookieValue(";;=;ferry_session", "ferry_session"), "");
}

TEST(AuthTest, SessionCookieIsHttpOnlyLaxAndSecureOverHttps) {
  EXPECT_EQ(SessionCookie("t", false),
            "ferry_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=1209600");
  EXPECT_NE(SessionCookie("t", true).find("; Secure"), std::string::npos);
  EXPECT_NE(SessionCookie("", false).find("Max-Age=0"), std::string::npos);
}

TEST(AuthTest, CsrfNeedsTheExactToken) {
  EXPECT_TRUE(CsrfMatches("abc", "abc"));
  EXPECT_FALSE(CsrfMatches("abd", "abc"));
  EXPECT_FALSE(CsrfMatches("ab", "abc"));
  EXPECT_FALSE(CsrfMatches("", ""));
}

TEST(AuthTest, ThrottleRefusesAfterTheLimitUntilTheOldestFailureLeavesTheWindow) {
  LoginThrottle t(3, 60s);
  auto t0 = LoginThrottle::Clock::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.RetryAfter("k", t0 + i * 1s), 0s);
    t.RecordFailure("k", t0 + i * 1s);
  }
  EXPECT_EQ(t.RetryAfter("k", t0 + 10s), 50s);
  EXPECT_EQ(t.RetryAfter("other", t0 + 10s), 0s);
  EXPECT_EQ(t.RetryAfter("k", t0 + 60s), 0s);  // the first failure left the window
  t.RecordFailure("k", t0 + 60s);
  EXPECT_EQ(t.RetryAfter("k", t0 + 60s), 1s);  // until the failure at t0 + 1s leaves
  t.Clear("k");
  EXPECT_EQ(t.RetryAfter("k", t0 + 60s), 0s);
}

TEST(AuthTest, ThrottleMemoryIsBounded) {
  LoginThrottle t(1, 60s, /*max_keys=*/2);
  auto now = LoginThrottle::Clock::time_point{} + 1000s;
  t.RecordFailure("a", now);
  t.RecordFailure("b", now);
  t.RecordFailure("c", now);  // "a" goes
  EXPECT_EQ(t.RetryAfter("a", now), 0s);
  EXPECT_GT(t.RetryAfter("b", now), 0s);
  EXPECT_GT(t.RetryAfter("c", now), 0s);
}

class UiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::testing::OpenOrDie(dir_.File("ferry.db"));
    ui_ = std::make_unique<Ui>(config_, *store_, pool_);
  }
  void AddUser() {
    auto hash = store::HashPassword("right password");
    ASSERT_TRUE(hash.ok());
    ASSERT_TRUE(store_->CreateUser("dev@example.com", *hash, true).ok());
  }
  http::Response Post(const std::string& target, const std::string& body,
                      const std::string& cookie = "") {
    http::Request req{http::bhttp::verb::post, target, 11};
    req.set(http::bhttp::field::content_type, "application/x-www-form-urlencoded");
    if (!cookie.empty()) req.set(http::bhttp::field::cookie, cookie);
    req.body() = body;
    req.prepare_payload();
    return ui_->Answer(req, "198.51.100.7");
  }
  http::Response Get(const std::string& target, const std::string& cookie = "") {
    http::Request req{http::bhttp::verb::get, target, 11};
    if (!cookie.empty()) req.set(http::bhttp::field::cookie, cookie);
    return ui_->Answer(req, "198.51.100.7");
  }
  static std::string CookieOf(const http::Response& res) {
    std::string c(res[http::bhttp::field::set_cookie]);
    return c.substr(0, c.find(';'));
  }

  store::testing::TempDir dir_;
  config::Config config_;
  boost::asio::thread_pool pool_{1};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ui> ui_;
};

TEST_F(UiTest, LoginPageSaysHowToCreateTheFirstUser) {
  auto res = Get("/login");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("ferry createuser"), std::string::npos);
  EXPECT_NE(std::string(res["Content-Security-Policy"]).find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  AddUser();
  EXPECT_EQ(Get("/login").body().find("ferry createuser"), std::string::npos);
}

TEST_F(UiTest, SignInSignOutAndTheSessionInBetween) {
  AddUser();
  auto wrong = Post("/login", "email=dev%40example.com&password=nope");
  EXPECT_EQ(wrong.result_int(), 401);
  EXPECT_NE(wrong.body().find("Wrong email or password."), std::string::npos);
  auto unknown = Post("/login", "email=nobody%40example.com&password=nope");
  EXPECT_EQ(unknown.result_int(), 401);
  EXPECT_NE(unknown.body().find("Wrong email or password."), std::string::npos);

  auto ok = Post("/login", "email=Dev%40Example.com&password=right+password&next=%2Fissues%2F");
  ASSERT_EQ(ok.result_int(), 303);
  EXPECT_EQ(ok[http::bhttp::field::location], "/issues/");
  std::string cookie = CookieOf(ok);
  ASSERT_EQ(cookie.size(), std::string("ferry_session=").size() + 64);
  http::Request req{http::bhttp::verb::get, "/", 11};
  req.set(http::bhttp::field::cookie, cookie);
  auto session = SessionOf(*store_, req, 0);
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->user.email, "dev@example.com");

  // Signed in, /login goes on; sign-out needs the session's CSRF token.
  EXPECT_EQ(Get("/login?next=/x", cookie).result_int(), 303);
  EXPECT_EQ(Post("/logout", "csrf=wrong", cookie).result_int(), 403);
  auto out = Post("/logout", "csrf=" + (*session)->csrf, cookie);
  EXPECT_EQ(out.result_int(), 303);
  EXPECT_NE(std::string(out[http::bhttp::field::set_cookie]).find("Max-Age=0"), std::string::npos);
  session = SessionOf(*store_, req, 0);
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE(session->has_value());
}

TEST_F(UiTest, NextNeverLeavesTheSite) {
  AddUser();
  for (const char* next : {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil"}) {
    auto ok =
        Post("/login", std::string("email=dev%40example.com&password=right+password&next=") + next);
    ASSERT_EQ(ok.result_int(), 303);
    EXPECT_EQ(ok[http::bhttp::field::location], "/") << next;
  }
}

TEST_F(UiTest, FailedSignInsAreThrottledPerAccountWithoutSayingWhetherItExists) {
  AddUser();
  for (const char* email : {"dev%40example.com", "nobody%40example.com"}) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(Post("/login", std::string("email=") + email + "&password=x").result_int(), 401);
    }
    auto res = Post("/login", std::string("email=") + email + "&password=x");
    EXPECT_EQ(res.result_int(), 429) << email;
    EXPECT_FALSE(std::string(res[http::bhttp::field::retry_after]).empty());
  }
  // Even the right password waits.
  EXPECT_EQ(Post("/login", "email=dev%40example.com&password=right+password").result_int(), 429);
}

TEST_F(UiTest, SignInFromAnotherSitesPageIsRefused) {
  AddUser();
  http::Request req{http::bhttp::verb::post, "/login", 11};
  req.set(http::bhttp::field::host, "ferry.example.com");
  req.set(http::bhttp::field::origin, "https://evil.example");
  req.body() = "email=dev%40example.com&password=right+password";
  EXPECT_EQ(ui_->Answer(req, "198.51.100.7").result_int(), 403);
  req.set(http::bhttp::field::origin, "https://ferry.example.com");
  EXPECT_EQ(ui_->Answer(req, "198.51.100.7").result_int(), 303);
}

TEST_F(UiTest, SessionsEndAtTheirExpiry) {
  AddUser();
  auto user = store_->FindUserByEmail("dev@example.com");
  ASSERT_TRUE(user.ok() && user->has_value());
  const std::string token = store::NewToken();
  ASSERT_TRUE(store_->CreateSession((*user)->id, store::TokenSha256(token), "c", 5000).ok());
  EXPECT_TRUE(store_->FindSession(store::TokenSha256(token), 4999)->has_value());
  EXPECT_FALSE(store_->FindSession(store::TokenSha256(token), 5000)->has_value());
}

}  // namespace
}  // namespace ferry::web
