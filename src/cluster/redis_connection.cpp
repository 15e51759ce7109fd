#include "cluster/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

namespace b2b::cluster {

namespace asio = boost::asio;
using boost::system::error_code;

// The socket hiredis owns, wrapped for async_wait. hiredis turns interest on and off through
// the ev hooks; a wait already in flight when interest is dropped completes and is ignored.
// `cleanup` runs inside redisAsyncFree: from then on the context is gone, and the descriptor
// is released (not closed: hiredis closes its own fd).
struct RedisConnection::Socket : std::enable_shared_from_this<Socket> {
  Socket(const asio::any_io_executor& executor, redisAsyncContext* c)
      : ctx(c), fd(executor, c->c.fd) {}
  ~Socket() {
    if (fd.is_open()) fd.release();
  }

  redisAsyncContext* ctx;
  asio::posix::stream_descriptor fd;
  bool want_read = false;
  bool want_write = false;
  bool read_pending = false;
  bool write_pending = false;

  void arm_read() {
    if (!want_read || read_pending || ctx == nullptr) return;
    read_pending = true;
    fd.async_wait(asio::posix::descriptor_base::wait_read,
                  [self = shared_from_this()](const error_code& ec) {
                    self->read_pending = false;
                    if (ec || self->ctx == nullptr || !self->want_read) return;
                    redisAsyncHandleRead(self->ctx);  // may free the context (cleanup below)
                    self->arm_read();
                  });
  }
  void arm_write() {
    if (!want_write || write_pending || ctx == nullptr) return;
    write_pending = true;
    fd.async_wait(asio::posix::descriptor_base::wait_write,
                  [self = shared_from_this()](const error_code& ec) {
                    self->write_pending = false;
                    if (ec || self->ctx == nullptr || !self->want_write) return;
                    redisAsyncHandleWrite(self->ctx);
                    self->arm_write();
                  });
  }

  static void add_read(void* p) {
    auto* s = static_cast<Socket*>(p);
    s->want_read = true;
    s->arm_read();
  }
  static void del_read(void* p) { static_cast<Socket*>(p)->want_read = false; }
  static void add_write(void* p) {
    auto* s = static_cast<Socket*>(p);
    s->want_write = true;
    s->arm_write();
  }
  static void del_write(void* p) { static_cast<Socket*>(p)->want_write = false; }
  static void cleanup(void* p) {
    auto* s = static_cast<Socket*>(p);
    s->ctx = nullptr;
    s->want_read = s->want_write = false;
    if (s->fd.is_open()) s->fd.release();  // completes pending waits with operation_aborted
  }
};

// One command in flight: hiredis hands it back to on_reply exactly once (no SUBSCRIBE here,
// whose callbacks repeat).
struct RedisConnection::Pending {
  asio::any_io_executor executor;
  RedisCallback done;
};

namespace {

bool is_subscription(const std::string& command) {
  std::string upper(command);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper == "SUBSCRIBE" || upper == "PSUBSCRIBE" || upper == "SSUBSCRIBE" ||
         upper == "MONITOR";
}

core::Error unavailable(std::string why) {
  return core::Error{kRedisUnavailable, std::move(why)};
}

}  // namespace

std::shared_ptr<RedisConnection> RedisConnection::create(asio::any_io_executor executor,
                                                         RedisEndpoint endpoint, Options options) {
  return std::shared_ptr<RedisConnection>(
      new RedisConnection(std::move(executor), std::move(endpoint), options));
}

RedisConnection::RedisConnection(asio::any_io_executor executor, RedisEndpoint endpoint,
                                 Options options)
    : executor_(std::move(executor)),
      endpoint_(std::move(endpoint)),
      options_(options),
      resolver_(executor_),
      timer_(executor_),
      backoff_(options.min_backoff) {}

RedisConnection::~RedisConnection() {
  state_ = State::kStopped;
  if (ctx_ != nullptr) {
    redisAsyncContext* c = ctx_;
    ctx_ = nullptr;
    redisAsyncFree(c);  // pending commands get kRedisUnavailable (posted)
  }
}

void RedisConnection::start() {
  if (state_ != State::kIdle) return;
  connect();
}

void RedisConnection::stop() {
  state_ = State::kStopped;
  timer_.cancel();
  resolver_.cancel();
  if (ctx_ != nullptr) {
    redisAsyncContext* c = ctx_;
    ctx_ = nullptr;
    redisAsyncFree(c);
  }
}

void RedisConnection::connect() {
  if (state_ == State::kStopped) return;
  state_ = State::kConnecting;
  resolver_.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      [weak = weak_from_this()](const error_code& ec,
                                const asio::ip::tcp::resolver::results_type& results) {
        auto self = weak.lock();
        if (!self || self->state_ != State::kConnecting) return;
        if (ec || results.empty()) {
          return self->connection_lost("cannot resolve " + self->endpoint_.host + ": " +
                                       ec.message());
        }
        const asio::ip::tcp::endpoint peer = results.begin()->endpoint();
        redisAsyncContext* c = redisAsyncConnect(peer.address().to_string().c_str(), peer.port());
        if (c == nullptr) return self->connection_lost("out of memory");
        if (c->err) {
          std::string why = c->errstr;
          redisAsyncFree(c);
          return self->connection_lost(why);
        }
        self->attach(c, peer);
      });
}

void RedisConnection::attach(redisAsyncContext* c, const asio::ip::tcp::endpoint& peer) {
  ctx_ = c;
  c->data = this;
  // The previous socket (if any) saw its cleanup when its context was freed.
  socket_ = std::make_shared<Socket>(executor_, c);
  c->ev.data = socket_.get();
  c->ev.addRead = &Socket::add_read;
  c->ev.delRead = &Socket::del_read;
  c->ev.addWrite = &Socket::add_write;
  c->ev.delWrite = &Socket::del_write;
  c->ev.cleanup = &Socket::cleanup;
  redisAsyncSetDisconnectCallback(c, &RedisConnection::on_disconnect);
  redisAsyncSetConnectCallback(c, &RedisConnection::on_connect);  // arms the first write wait

  // hiredis has no connect timeout of its own: a peer that drops SYNs would hold us for minutes.
  timer_.expires_after(options_.connect_timeout);
  timer_.async_wait([weak = weak_from_this(), c, peer](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->ctx_ != c) return;
    if (self->state_ != State::kConnecting && self->state_ != State::kHandshake) return;
    const bool connected = self->state_ == State::kHandshake;
    self->ctx_ = nullptr;
    redisAsyncFree(c);  // when connected, on_disconnect reports the loss
    if (!connected) {
      std::string where = peer.address().to_string() + ":" + std::to_string(peer.port());
      self->connection_lost("connecting to " + where + " timed out");
    }
  });
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (status != REDIS_OK) {
    self->ctx_ = nullptr;  // hiredis frees it when we return
    return self->connection_lost(ac->errstr);
  }
  self->handshake();
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self->ctx_ == ac) self->ctx_ = nullptr;
  self->connection_lost(status == REDIS_OK ? "closed" : ac->errstr);
}

void RedisConnection::handshake() {
  state_ = State::kHandshake;
  std::vector<std::vector<std::string>> steps;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      steps.push_back({"AUTH", endpoint_.password});
    } else {
      steps.push_back({"AUTH", endpoint_.user, endpoint_.password});
    }
  }
  if (endpoint_.db != 0) steps.push_back({"SELECT", std::to_string(endpoint_.db)});
  steps.push_back({"PING"});
  // Pipelined; the last reply decides, and any error reply drops the connection.
  auto failed = std::make_shared<std::string>();
  const std::size_t n = steps.size();
  for (std::size_t i = 0; i < n; ++i) {
    const bool last = i + 1 == n;
    const std::string name = steps[i][0];
    send(std::move(steps[i]),
         [weak = weak_from_this(), c = ctx_, failed, last, name](core::Result<RedisReply> r) {
           auto self = weak.lock();
           if (!self || self->ctx_ != c || self->state_ != State::kHandshake) return;
           if (!r && failed->empty()) *failed = name + ": " + r.error().detail;
           if (!last) return;
           if (failed->empty()) return self->handshake_done();
           spdlog::warn("redis {}:{}: {}", self->endpoint_.host, self->endpoint_.port, *failed);
           redisAsyncDisconnect(self->ctx_);  // on_disconnect schedules the retry
         });
  }
}

void RedisConnection::subscribe(std::vector<std::string> channels, RedisMessageHandler handler) {
  channels_ = std::move(channels);
  on_message_ = std::move(handler);
}

void RedisConnection::handshake_done() {
  if (channels_.empty()) return became_ready();
  // hiredis keeps one callback per channel and runs it for the confirmation and for every
  // message; it also runs it with a null reply when the context is freed (ignored there).
  confirmed_ = 0;
  std::vector<const char*> argv{"SUBSCRIBE"};
  for (const std::string& c : channels_) argv.push_back(c.c_str());
  if (redisAsyncCommandArgv(ctx_, &RedisConnection::on_subscription, nullptr,
                            static_cast<int>(argv.size()), argv.data(), nullptr) != REDIS_OK) {
    redisAsyncDisconnect(ctx_);  // on_disconnect schedules the retry
  }
}

void RedisConnection::on_subscription(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  if (reply == nullptr || ac->data == nullptr) return;
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self->ctx_ != ac) return;
  RedisReply r = copy_reply(*static_cast<redisReply*>(reply));
  // ["subscribe", channel, count] or ["message", channel, payload]
  if (r.type != RedisReply::Type::kArray || r.elements.size() != 3) return;
  const std::string& kind = r.elements[0].str;
  if (kind == "subscribe" && self->state_ == State::kHandshake) {
    if (++self->confirmed_ == self->channels_.size()) {
      // Posted, not run here: we are inside hiredis's read handler.
      asio::post(self->executor_, [weak = self->weak_from_this(), ac] {
        auto s = weak.lock();
        if (s && s->ctx_ == ac && s->state_ == State::kHandshake) s->became_ready();
      });
    }
  } else if (kind == "message" && self->on_message_) {
    asio::post(self->executor_,
               [weak = self->weak_from_this(), channel = std::move(r.elements[1].str),
                payload = std::move(r.elements[2].str)]() mutable {
                 auto s = weak.lock();
                 if (s && s->state_ == State::kReady)
                   s->on_message_(std::move(channel), std::move(payload));
               });
  }
}

void RedisConnection::became_ready() {
  state_ = State::kReady;
  timer_.cancel();
  backoff_ = options_.min_backoff;
  ++connects_;
  spdlog::info("redis {}:{}: connected", endpoint_.host, endpoint_.port);
  if (on_ready_) on_ready_();
}

void RedisConnection::connection_lost(const std::string& why) {
  if (state_ == State::kStopped) return;
  const bool was_ready = state_ == State::kReady;
  state_ = State::kIdle;
  if (was_ready) {
    spdlog::warn("redis {}:{}: connection lost ({}); reconnecting", endpoint_.host, endpoint_.port,
                 why);
  } else {
    spdlog::debug("redis {}:{}: {}", endpoint_.host, endpoint_.port, why);
  }
  schedule_reconnect();
}

void RedisConnection::schedule_reconnect() {
  // ±20 % jitter: nodes that lost Redis together do not come back in lockstep.
  const auto base = backoff_.count();
  const auto spread = std::max<int64_t>(1, base / 5);
  const auto delay =
      base - spread +
      static_cast<int64_t>(randombytes_uniform(static_cast<uint32_t>(2 * spread + 1)));
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  timer_.expires_after(std::chrono::milliseconds(delay));
  timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != State::kIdle) return;
    self->connect();
  });
}

void RedisConnection::command(std::vector<std::string> args, RedisCallback done) {
  if (args.empty() || is_subscription(args[0]) || !channels_.empty()) {
    asio::post(executor_, [done = std::move(done)] {
      done(core::Error{kRedisError, "empty command, or a subscription (not supported here)"});
    });
    return;
  }
  if (state_ != State::kReady) {
    asio::post(executor_, [done = std::move(done)] { done(unavailable("not connected")); });
    return;
  }
  send(std::move(args), std::move(done));
}

void RedisConnection::send(std::vector<std::string> args, RedisCallback done) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* p = new Pending{executor_, std::move(done)};
  const int rc = ctx_ == nullptr ? REDIS_ERR
                                 : redisAsyncCommandArgv(ctx_, &RedisConnection::on_reply, p,
                                                         static_cast<int>(argv.size()), argv.data(),
                                                         lens.data());
  if (rc != REDIS_OK) finish(p, unavailable("the connection is closing"));
}

void RedisConnection::on_reply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
  auto* p = static_cast<Pending*>(privdata);
  if (reply == nullptr) return finish(p, unavailable("connection lost before the reply"));
  RedisReply r = copy_reply(*static_cast<redisReply*>(reply));
  if (r.is_error()) return finish(p, core::Error{kRedisError, std::move(r.str)});
  finish(p, std::move(r));
}

void RedisConnection::finish(Pending* p, core::Result<RedisReply> result) {
  std::unique_ptr<Pending> owned(p);
  asio::post(owned->executor, [done = std::move(owned->done),
                               result = std::move(result)]() mutable { done(std::move(result)); });
}

}  // namespace b2b::cluster
