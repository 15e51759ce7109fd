#include "net/ws_session.h"

#include <boost/asio/bind_allocator.hpp>

#include "net/ws_keep_alive.h"

namespace b2b::net {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

WsSession::WsSession(tcp::socket socket, const WsLimits& limits)
    : ws_(std::move(socket)), queue_(limits.max_live_bytes), ping_interval_(limits.ping_interval) {
  ws_.read_message_max(limits.max_message_bytes);  // larger messages close with 1009
  ws_.auto_fragment(false);
  // Beast times the upgrade and the close handshake; idle peers are WsKeepAlive's.
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(30);
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  ws_.set_option(t);
  // Pongs (and pings, close frames) are bytes from the peer too. The session owns the
  // stream, so the callback never outlives it.
  ws_.control_callback(
      [this](websocket::frame_type, beast::string_view) { heard_ms_ = WsKeepAlive::now_ms(); });
  boost::system::error_code ec;
  beast::get_lowest_layer(ws_).set_option(tcp::no_delay(true), ec);
}

void WsSession::accept(Request request, std::function<void(bool)> on_accepted) {
  ws_.async_accept(request, [self = shared_from_this(),
                             cb = std::move(on_accepted)](beast::error_code ec) { cb(!ec); });
}

void WsSession::start(std::function<void(std::string_view)> on_message,
                      std::function<void()> on_closed) {
  on_message_ = std::move(on_message);
  on_closed_ = std::move(on_closed);
  heard_ms_ = WsKeepAlive::now_ms();
  pinged_ms_ = heard_ms_;
  if (ping_interval_.count() > 0) {
    WsKeepAlive::of(ws_.get_executor()).watch(weak_from_this(), ping_interval_);
  }
  read_next();
  write_next();
}

// As Beast's keep-alive did: a ping once the peer has been silent for an interval (and again
// each interval while it stays silent but answers), the connection dropped after two.
bool WsSession::keep_alive(int64_t now_ms) {
  if (done_) return false;
  if (closing_) return true;  // the close handshake has Beast's own timeout
  const int64_t interval = ping_interval_.count();
  const int64_t silent = now_ms - heard_ms_;
  if (silent >= 2 * interval) {
    abort();
    return false;
  }
  if (silent >= interval && now_ms - pinged_ms_ >= interval) {
    pinged_ms_ = now_ms;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code) {});
  }
  return true;
}

namespace {
// While a message is arriving it is read in steps of this size (Beast still enforces
// read_message_max).
constexpr std::size_t kBusyReadBytes = 16 * 1024;

// Allocates the read an idle session keeps pending at its own size. Under asio's default a
// handler's operation reuses a block from the thread's recycling cache if one is large
// enough — typically one the upgrade's larger operations just freed — and an idle connection
// would hold that oversized block for its lifetime. (A distinct type: asio maps
// std::allocator to its recycling allocator.)
template <class T>
struct ExactSizeAllocator {
  using value_type = T;
  ExactSizeAllocator() = default;
  template <class U>
  ExactSizeAllocator(const ExactSizeAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const ExactSizeAllocator<U>&) const noexcept {
    return true;
  }
};
}  // namespace

// Reads into a plain buffer rather than through Beast's dynamic-buffer read: that read adds an
// operation layer to the one that waits for the socket, and its buffer must be prepared
// before any byte arrives; the small inline buffer costs an idle session neither.
void WsSession::read_next() {
  boost::asio::mutable_buffer into = boost::asio::buffer(idle_read_bytes_);
  if (!message_.empty()) {
    // Read straight into the message; on_read() trims what was not filled.
    message_.resize(message_.size() + kBusyReadBytes);
    into = boost::asio::buffer(message_.data() + message_.size() - kBusyReadBytes, kBusyReadBytes);
  }
  ws_.async_read_some(into, boost::asio::bind_allocator(
                                ExactSizeAllocator<void>(),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                  self->on_read(ec, n);
                                }));
}

void WsSession::on_read(beast::error_code ec, std::size_t bytes) {
  if (ec) return closed();
  heard_ms_ = WsKeepAlive::now_ms();
  // message_ stays empty until a message outgrows idle_read_bytes_.
  const bool into_idle_bytes = message_.empty();
  if (!into_idle_bytes) {
    message_.resize(message_.size() - kBusyReadBytes + bytes);
  } else if (!ws_.is_message_done()) {
    message_.assign(idle_read_bytes_.data(), bytes);
  }
  if (!ws_.is_message_done()) return read_next();
  const std::string_view text =
      into_idle_bytes ? std::string_view(idle_read_bytes_.data(), bytes) : message_;
  if (on_message_) on_message_(text);
  std::string().swap(message_);
  if (!done_) read_next();
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
  beast::get_lowest_layer(ws_).close(ec);
  closed();
}

void WsSession::closed() {
  if (done_) return;
  done_ = true;
  queue_.close();
  boost::system::error_code ec;
  beast::get_lowest_layer(ws_).close(ec);
  // The handlers may own this session's owner; release them, but not while one may be
  // running (closed() can be reached from inside on_message_).
  boost::asio::post(ws_.get_executor(), [m = std::move(on_message_)] {});
  if (auto cb = std::move(on_closed_)) cb();
}

}  // namespace b2b::net
