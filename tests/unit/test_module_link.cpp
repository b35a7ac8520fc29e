// ModuleLink against a real mosquitto on loopback: inputs reach the handler with their sender, and calls between
// modules (the isolated alert module asking the camera for a frame) are answered, or time out when nobody serves them.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "core/net.h"
#include "deploy/child_process.h"
#include "hub/module_link.h"

using namespace vigil;

namespace {

struct Broker {
  std::unique_ptr<deploy::ChildProcess> process;
  int port = 0;
  Broker() {
    auto p = free_loopback_port();
    EXPECT_TRUE(p.ok());
    port = p ? *p : 0;
    const std::string conf = ::testing::TempDir() + "/vigil-link-" + std::to_string(port) + ".conf";
    std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
    deploy::ChildOptions co;
    co.argv = {"mosquitto", "-c", conf};
    auto child = deploy::ChildProcess::spawn(co);
    EXPECT_TRUE(child.ok()) << (child ? "" : child.error().message);
    if (child) process = std::move(*child);
    for (int i = 0; i < 250 && !tcp_connects("127.0.0.1", port, 200); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  hub::MqttOptions options() const {
    hub::MqttOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    return o;
  }
};

template <typename F>
bool eventually(F f, int ms = 5000) {
  for (int i = 0; i < ms / 20; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

}  // namespace

TEST(ModuleLink, CallsAreAnsweredByTheModuleThatServesThem) {
  Broker broker;
  Metrics metrics;
  hub::ModuleLink camera(broker.options(), "edge", "cam", metrics);
  hub::ModuleLink alerts(broker.options(), "edge", "alerts", metrics);
  std::atomic<int> served{0};
  camera.serve("frame", [&](const std::string& request) {
    ++served;
    std::string answer = request;
    std::reverse(answer.begin(), answer.end());
    return answer == "gone" ? std::string() : answer;
  });
  ASSERT_TRUE(camera.start().ok());
  ASSERT_TRUE(alerts.start().ok());
  // Both connected and subscribed: the first call may race the subscriptions, so ask until answered.
  ASSERT_TRUE(eventually([&] { return alerts.call("cam", "frame", "x", std::chrono::milliseconds(200)).ok(); }));

  auto r = alerts.call("cam", "frame", std::string("abc\0def", 7), std::chrono::milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, std::string("fed\0cba", 7));  // binary bodies pass unchanged
  r = alerts.call("cam", "frame", "enog", std::chrono::milliseconds(2000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");  // an empty answer is an answer

  // Concurrent calls get their own answers.
  std::vector<std::thread> callers;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i)
    callers.emplace_back([&, i] {
      const std::string q = std::to_string(1000 + i) + "q";
      std::string expected = q;
      std::reverse(expected.begin(), expected.end());
      auto a = alerts.call("cam", "frame", q, std::chrono::milliseconds(3000));
      if (a && *a == expected) ++right;
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(right, 8);

  // Nobody serves it: a timeout, named.
  const int before = served;
  r = alerts.call("cam", "thumbnail", "x", std::chrono::milliseconds(300));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Timeout);
  EXPECT_NE(r.error().message.find("cam did not answer thumbnail"), std::string::npos) << r.error().message;
  r = alerts.call("nobody", "frame", "x", std::chrono::milliseconds(300));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(served, before);
  alerts.stop();
  camera.stop();
}
