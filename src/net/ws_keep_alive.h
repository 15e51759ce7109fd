// Protocol pings for every WebSocket session of one event loop, from one timer (ROOMS.md
// §20.15: every client answers pings, so dead peers leave presence). Beast's own keep-alive
// arms a timer wait per session: an idle connection holds that operation, in whatever block
// asio's recycling cache hands it (~0.4 KiB measured), for its lifetime. Here a session costs
// a weak_ptr in a list, and a sweep a few times per ping interval decides for each one as
// Beast did: ping after an interval without a byte from the peer, close after two.
#pragma once

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace b2b::net {

class WsSession;

class WsKeepAlive : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;
  // A session is swept at least this many times per ping interval (how late a ping or a
  // close may come, as a fraction of the interval).
  static constexpr int kSweepsPerInterval = 4;

  explicit WsKeepAlive(boost::asio::execution_context& context);
  // The service of `executor`'s event loop; only that loop's thread may use it.
  static WsKeepAlive& of(const boost::asio::io_context::executor_type& executor);
  static int64_t now_ms();

  // Sweeps `session` until it is gone or its keep_alive() says it has ended.
  void watch(std::weak_ptr<WsSession> session, std::chrono::milliseconds ping_interval);

 private:
  void shutdown() override;
  void arm();
  void sweep();

  std::optional<boost::asio::io_context::executor_type> executor_;
  std::optional<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds period_ = std::chrono::milliseconds::max();
  bool armed_ = false;
  std::vector<std::weak_ptr<WsSession>> watched_;
};

}  // namespace b2b::net
