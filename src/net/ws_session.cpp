#include "net/ws_session.h"

namespace b2b::net {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

WsSession::WsSession(tcp::socket socket, const WsLimits& limits)
    : ws_(std::move(socket)), queue_(limits.max_live_bytes) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.read_message_max(limits.max_message_bytes);  // larger messages close with 1009
  ws_.auto_fragment(false);
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(30);
  // Beast pings after half the idle timeout without traffic and closes after the full one.
  t.idle_timeout = limits.ping_interval * 2;
  t.keep_alive_pings = true;
  ws_.set_option(t);
  boost::system::error_code ec;
  beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
}

void WsSession::accept(Request request, std::function<void(bool)> on_accepted) {
  ws_.async_accept(request, [self = shared_from_this(),
                             cb = std::move(on_accepted)](beast::error_code ec) { cb(!ec); });
}

void WsSession::start(std::function<void(std::string_view)> on_message,
                      std::function<void()> on_closed) {
  on_message_ = std::move(on_message);
  on_closed_ = std::move(on_closed);
  read_next();
  write_next();
}

namespace {
// Idle sessions are most of the relay's memory, and Beast's async_read prepares a 1.5 KiB
// buffer before any byte arrives: wait with a small one, grow it only while a message is
// arriving (Beast still enforces read_message_max), release it after each message.
constexpr std::size_t kIdleReadBytes = 256;
constexpr std::size_t kBusyReadBytes = 16 * 1024;
}  // namespace

void WsSession::read_next() {
  const std::size_t limit = read_buffer_.size() == 0 ? kIdleReadBytes : kBusyReadBytes;
  ws_.async_read_some(read_buffer_, limit,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->closed();
                        if (!self->ws_.is_message_done()) return self->read_next();
                        auto data = self->read_buffer_.cdata();
                        std::string_view text(static_cast<const char*>(data.data()), data.size());
                        if (self->on_message_) self->on_message_(text);
                        self->read_buffer_.clear();
                        self->read_buffer_.shrink_to_fit();
                        if (!self->done_) self->read_next();
                      });
}

PushResult WsSession::push(SharedBytes json, bool counted) {
  if (done_ || closing_) return PushResult::kClosed;
  PushResult r = queue_.push(std::move(json), counted);
  if (r == PushResult::kQueued) write_next();
  return r;
}

void WsSession::write_next() {
  if (writing_ || done_ || !on_closed_) return;  // not started yet: the queue waits
  if (queue_.empty()) {
    if (closing_) {
      writing_ = true;
      ws_.async_close(close_code_, [self = shared_from_this()](beast::error_code) {
        self->writing_ = false;
        self->closed();
      });
    }
    return;
  }
  std::vector<boost::asio::const_buffer> one;
  // While the batch below has room, Beast frames the queued messages synchronously: they only
  // join that batch (no socket call, no completion per message), so a busy room's fan-out
  // costs each session one turn, not one per message.
  ws_.text(true);
  while (!queue_.empty() && ws_.next_layer().has_room()) {
    one.clear();
    queue_.front_batch(one, 1, SIZE_MAX);
    beast::error_code ec;
    ws_.write(one.front(), ec);
    if (ec) return closed();
    queue_.pop(1);
  }
  if (queue_.empty()) return write_next();  // a close may be due
  // The batch is full: an async write completes once the socket has taken it (this keeps
  // the queue's bound meaningful for slow consumers).
  writing_ = true;
  one.clear();
  queue_.front_batch(one, 1, SIZE_MAX);
  ws_.async_write(one.front(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->writing_ = false;
    if (ec) return self->closed();
    self->queue_.pop(1);
    self->write_next();
  });
}

void WsSession::close(websocket::close_code code) {
  if (done_ || closing_) return;
  closing_ = true;
  close_code_ = code;
  write_next();
}

void WsSession::abort() {
  if (done_) return;
  boost::system::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  closed();
}

void WsSession::closed() {
  if (done_) return;
  done_ = true;
  queue_.close();
  boost::system::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  // The handlers may own this session's owner; release them, but not while one may be
  // running (closed() can be reached from inside on_message_).
  boost::asio::post(ws_.get_executor(), [m = std::move(on_message_)] {});
  if (auto cb = std::move(on_closed_)) cb();
}

}  // namespace b2b::net
