// One connection to Redis for cluster mode: hiredis's async API driven by Boost.Asio, with
// reconnects and backoff.
//
// hiredis does the protocol; Asio does the waiting. hiredis asks for read/write readiness
// through its ev.addRead/delRead/addWrite/delWrite/cleanup hooks, which map onto async_wait on
// an asio::posix::stream_descriptor wrapping the socket hiredis owns. Nothing here blocks: the
// host name is resolved with Asio's resolver, and a connect that hangs is abandoned after
// Options::connect_timeout.
//
// While the connection is down every command fails at once with "redis unavailable" (the relay
// answers 503 with Retry-After; it never queues writes it cannot acknowledge), and the client
// reconnects on its own: 100 ms after the loss, doubling to Options::max_backoff, with jitter
// so that many nodes do not reconnect in step. After each (re)connect — AUTH and SELECT done —
// the on_ready handler runs: the place to reload scripts and resubscribe.
//
// Subscriber mode (subscribe(), before start()): the connection SUBSCRIBEs after every
// (re)connect and hands each message to a handler; on_ready runs once the subscription is
// confirmed, so a handler that resyncs there misses nothing published after that point.
//
// Threading: create, use and destroy it on one executor (a strand or a one-thread io_context).
// Reply callbacks are posted to that executor, never run inside hiredis, so a callback may
// issue commands or stop the connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/redis_endpoint.h"
#include "cluster/redis_reply.h"
#include "core/result.h"

struct redisAsyncContext;

namespace b2b::cluster {

// Error texts of command results (core::Error::error).
inline constexpr const char* kRedisUnavailable = "redis unavailable";  // not connected / lost
inline constexpr const char* kRedisError = "redis error";  // Redis answered an error reply

using RedisCallback = std::function<void(core::Result<RedisReply>)>;
using RedisMessageHandler = std::function<void(std::string channel, std::string payload)>;

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds min_backoff{100};
    std::chrono::milliseconds max_backoff{5000};
  };

  static std::shared_ptr<RedisConnection> create(boost::asio::any_io_executor executor,
                                                 RedisEndpoint endpoint, Options options);
  static std::shared_ptr<RedisConnection> create(boost::asio::any_io_executor executor,
                                                 RedisEndpoint endpoint) {
    return create(std::move(executor), std::move(endpoint), Options{});
  }
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs after every successful (re)connect, on the executor.
  void on_ready(std::function<void()> handler) { on_ready_ = std::move(handler); }
  // Makes this a subscriber connection; call before start(). After every (re)connect it
  // SUBSCRIBEs to `channels` and becomes ready (on_ready) when Redis confirmed them all; each
  // message then runs `handler` on the executor. command() is refused from then on: a
  // subscribed connection takes no other commands.
  void subscribe(std::vector<std::string> channels, RedisMessageHandler handler);
  // Starts connecting (and keeps reconnecting until stop()).
  void start();
  // Closes the connection; pending commands fail with kRedisUnavailable. No reconnect follows.
  void stop();
  bool ready() const { return state_ == State::kReady; }
  // Connections made so far (1 after the first connect): tests and metrics see reconnects.
  uint64_t connects() const { return connects_; }

  // Sends one command (binary-safe arguments). `done` runs on the executor with the reply, a
  // kRedisError for an error reply, or kRedisUnavailable when not connected or the connection
  // was lost before the reply came.
  void command(std::vector<std::string> args, RedisCallback done);

 private:
  enum class State { kIdle, kConnecting, kHandshake, kReady, kStopped };
  struct Socket;
  struct Pending;

  RedisConnection(boost::asio::any_io_executor executor, RedisEndpoint endpoint, Options options);
  void connect();
  void attach(redisAsyncContext* ctx, const boost::asio::ip::tcp::endpoint& peer);
  void handshake();
  void handshake_done();
  void became_ready();
  void connection_lost(const std::string& why);
  void schedule_reconnect();
  void send(std::vector<std::string> args, RedisCallback done);  // regardless of state
  static void finish(Pending* p, core::Result<RedisReply> result);

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_subscription(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::any_io_executor executor_;
  RedisEndpoint endpoint_;
  Options options_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // connect timeout, then reconnect delay
  std::shared_ptr<Socket> socket_;
  redisAsyncContext* ctx_ = nullptr;
  State state_ = State::kIdle;
  std::chrono::milliseconds backoff_;
  uint64_t connects_ = 0;
  std::function<void()> on_ready_;
  std::vector<std::string> channels_;  // subscriber mode when not empty
  RedisMessageHandler on_message_;
  std::size_t confirmed_ = 0;  // channels confirmed since the last connect
};

}  // namespace b2b::cluster
