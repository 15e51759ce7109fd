#include "net/ws_keep_alive.h"

#include <algorithm>

#include "net/ws_session.h"

namespace b2b::net {

boost::asio::execution_context::id WsKeepAlive::id;

WsKeepAlive::WsKeepAlive(boost::asio::execution_context& context)
    : boost::asio::execution_context::service(context) {}

WsKeepAlive& WsKeepAlive::of(const boost::asio::io_context::executor_type& executor) {
  WsKeepAlive& service = boost::asio::use_service<WsKeepAlive>(executor.context());
  if (!service.executor_) service.executor_.emplace(executor);
  return service;
}

int64_t WsKeepAlive::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void WsKeepAlive::watch(std::weak_ptr<WsSession> session, std::chrono::milliseconds ping_interval) {
  watched_.push_back(std::move(session));
  period_ =
      std::min(period_, std::max(ping_interval / kSweepsPerInterval, std::chrono::milliseconds(1)));
  if (!armed_) arm();
}

void WsKeepAlive::arm() {
  if (!timer_) timer_.emplace(*executor_);
  armed_ = true;
  timer_->expires_after(period_);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    armed_ = false;
    sweep();
  });
}

void WsKeepAlive::sweep() {
  const int64_t now = now_ms();
  // Compacts in place. A session that ends here runs its owner's close callback, which may
  // start sessions: they join the end of the list (hence indexes, and `swept`) and stay.
  const std::size_t swept = watched_.size();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < swept; ++i) {
    auto session = watched_[i].lock();
    if (!session || !session->keep_alive(now)) continue;
    if (kept != i) watched_[kept] = std::move(watched_[i]);  // a self-move would empty it
    ++kept;
  }
  watched_.erase(watched_.begin() + static_cast<std::ptrdiff_t>(kept),
                 watched_.begin() + static_cast<std::ptrdiff_t>(swept));
  // After a burst of connections has gone, give its share of the list back.
  if (watched_.size() < watched_.capacity() / 4) watched_.shrink_to_fit();
  if (!watched_.empty() && !armed_) arm();
}

void WsKeepAlive::shutdown() {
  watched_.clear();
  timer_.reset();
}

}  // namespace b2b::net
