// Fan-out and idle-connection load tool for bench/run (issue 6). A Node receiver saturates
// long before the relay does, so the subscribers live here: one epoll thread holding many
// non-blocking SSE or WebSocket streams, each bound to its own loopback source address
// (16 per address, under the relay's per-IP stream cap), with a minimal frame parser that
// only looks for what the measurement needs. A second thread posts messages open-loop over a
// few pipelined keep-alive connections; every message carries its CLOCK_MONOTONIC send time in
// the `sender` label ("t<step>:<ns>"), so latency = arrival - send on one clock.
//
//   fanout_receiver fanout HOST PORT ROOM sse|ws SUBS RATES STEP_S [RELAY_PID]
//     RATES is a comma list of messages/s; one RESULT json line per step; stops after the
//     first step whose p99 is >= 50 ms or that lost deliveries (the "highest rate" search).
//   fanout_receiver idle HOST PORT sse|ws TOTAL PER_ROOM HOLD_S RELAY_PID
//     opens TOTAL streams (PER_ROOM per room), holds them HOLD_S s; RESULT json with the open
//     rate and the relay's RSS and CPU from /proc/RELAY_PID.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr int kPerSourceIp = 16;
constexpr int kOpenWindow = 256;  // handshakes in flight at once
constexpr std::string_view kReadyMarker = "\"type\":\"ready\"";
constexpr std::string_view kStampMarker = "\"sender\":\"t";

int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void die(const char* what) {
  std::perror(what);
  std::exit(2);
}

// 127.1.x.y, a fresh source address every kPerSourceIp connections.
sockaddr_in source_address(int index) {
  int k = index / kPerSourceIp;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | (uint32_t(k / 250) << 8) | (k % 250 + 1));
  return a;
}

int connect_nonblocking(const sockaddr_in& dst, const sockaddr_in* src) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (src && bind(fd, reinterpret_cast<const sockaddr*>(src), sizeof *src) != 0) {
    close(fd);
    return -1;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

struct Delivery {
  int step;
  int64_t latency_ns;
};

// One subscriber stream. `pending` holds bytes not yet understood (a partial WS frame or the
// tail of an SSE chunk that may hold the start of a marker).
struct Stream {
  int fd = -1;
  std::string room;
  std::string pending;
  bool headers_done = false;
  bool ready = false;
  bool closed = false;
};

class Receiver {
 public:
  // Stream i connects to relays[i % relays.size()] (cluster mode: subscribers spread over nodes)
  // from source address source_address(first_index + i).
  Receiver(std::vector<sockaddr_in> relays, bool websocket, int first_index = 0)
      : relays_(std::move(relays)), websocket_(websocket), first_index_(first_index) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
  }

  // Opens `total` streams, kOpenWindow at a time, until each is ready or failed.
  void open_all(int total, const std::function<std::string(int)>& room_of) {
    streams_.resize(total);
    int next = 0;
    while (ready_ + failed_ < total) {
      while (next < total && next - ready_ - failed_ < kOpenWindow)
        open_one(next, room_of(next)), ++next;
      poll_once(50);
    }
  }

  // Runs the event loop until `stop` is set (the sender thread runs meanwhile).
  void run(const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) poll_once(20);
  }

  std::vector<Delivery> take_deliveries() {
    std::lock_guard lock(mutex_);
    return std::exchange(deliveries_, {});
  }
  int ready() const { return ready_; }
  int failed() const { return failed_; }
  int closed_after_ready() const { return closed_after_ready_; }
  uint64_t bytes() const { return bytes_; }
  void close_all() {
    for (auto& s : streams_)
      if (s.fd >= 0) close(s.fd), s.fd = -1;
  }

 private:
  void open_one(int i, std::string room) {
    Stream& s = streams_[i];
    s.room = std::move(room);
    sockaddr_in src = source_address(first_index_ + i);
    s.fd = connect_nonblocking(relays_[size_t(i) % relays_.size()], &src);
    if (s.fd < 0) {
      ++failed_;
      s.closed = true;
      return;
    }
    std::string req = websocket_ ? "GET /api/rooms/" + s.room +
                                       "/ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                                 : "GET /api/rooms/" + s.room +
                                       "/events HTTP/1.1\r\nHost: bench\r\n"
                                       "Accept: text/event-stream\r\n\r\n";
    s.pending = std::move(req);  // written once the connect completes (EPOLLOUT)
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u32 = uint32_t(i);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev) != 0) die("epoll_ctl");
  }

  void poll_once(int timeout_ms) {
    epoll_event events[512];
    int n = epoll_wait(epoll_, events, 512, timeout_ms);
    for (int k = 0; k < n; ++k) {
      Stream& s = streams_[events[k].data.u32];
      if (s.closed) continue;
      if (events[k].events & EPOLLOUT) on_writable(s, events[k].data.u32);
      if (events[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(s);
    }
    if (!batch_.empty()) {
      std::lock_guard lock(mutex_);
      deliveries_.insert(deliveries_.end(), batch_.begin(), batch_.end());
      batch_.clear();
    }
  }

  void on_writable(Stream& s, uint32_t index) {
    ssize_t w = ::write(s.fd, s.pending.data(), s.pending.size());
    if (w != ssize_t(s.pending.size())) return fail(s);  // a ~200-byte request fits a fresh socket
    s.pending.clear();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = index;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
  }

  void fail(Stream& s) {
    if (s.ready)
      ++closed_after_ready_;
    else
      ++failed_;
    s.closed = true;
    close(s.fd);
    s.fd = -1;
    s.pending = {};
  }

  void on_readable(Stream& s) {
    char buf[65536];
    for (;;) {
      ssize_t r = ::read(s.fd, buf, sizeof buf);
      if (r > 0) {
        bytes_ += uint64_t(r);
        s.pending.append(buf, size_t(r));
        if (!consume(s)) return fail(s);
        if (size_t(r) < sizeof buf) return;
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return fail(s);
    }
  }

  // Returns false when the stream must be dropped (refused handshake).
  bool consume(Stream& s) {
    if (!s.headers_done) {
      size_t end = s.pending.find("\r\n\r\n");
      if (end == std::string::npos) return s.pending.size() < 8192;
      std::string_view status(s.pending.data(), std::min<size_t>(12, s.pending.size()));
      if (status != (websocket_ ? "HTTP/1.1 101" : "HTTP/1.1 200")) return false;
      s.headers_done = true;
      s.pending.erase(0, end + 4);
    }
    return websocket_ ? consume_ws(s) : consume_text(s, s.pending, true);
  }

  // WebSocket: unmasked server frames; text payloads are scanned, pings answered.
  bool consume_ws(Stream& s) {
    size_t at = 0;
    std::string& b = s.pending;
    while (b.size() - at >= 2) {
      auto byte = [&](size_t k) { return uint8_t(b[at + k]); };
      uint8_t opcode = byte(0) & 0x0f;
      uint64_t len = byte(1) & 0x7f;
      size_t header = 2;
      if (len == 126) {
        if (b.size() - at < 4) break;
        len = (uint64_t(byte(2)) << 8) | byte(3);
        header = 4;
      } else if (len == 127) {
        if (b.size() - at < 10) break;
        len = 0;
        for (int k = 0; k < 8; ++k) len = (len << 8) | byte(2 + k);
        header = 10;
      }
      if (b.size() - at < header + len) break;
      std::string_view payload(b.data() + at + header, len);
      if (opcode == 0x8) return false;
      if (opcode == 0x9)
        pong(s, payload);
      else
        scan(s, payload);
      at += header + len;
    }
    b.erase(0, at);
    return true;
  }

  void pong(Stream& s, std::string_view payload) {
    std::string f{char(0x8a), char(0x80 | payload.size()), 0, 0, 0, 0};  // zero mask key
    f.append(payload);
    (void)!::write(s.fd, f.data(), f.size());
  }

  // SSE (and WS payloads): find markers in the byte stream; keep an incomplete tail.
  bool consume_text(Stream& s, std::string& b, bool keep_tail) {
    size_t done = scan(s, b);
    if (keep_tail) {
      size_t keep_from = std::max(done, b.size() > 48 ? b.size() - 48 : size_t{0});
      b.erase(0, keep_from);
    }
    return true;
  }

  // Returns the offset up to which the text is fully understood.
  size_t scan(Stream& s, std::string_view text) {
    size_t done = 0;
    if (!s.ready && text.find(kReadyMarker) != std::string_view::npos) {
      s.ready = true;
      ++ready_;
    }
    int64_t now = 0;
    for (size_t at = text.find(kStampMarker); at != std::string_view::npos;
         at = text.find(kStampMarker, at + 1)) {
      size_t p = at + kStampMarker.size();
      int step = 0;
      int64_t sent = 0;
      while (p < text.size() && text[p] >= '0' && text[p] <= '9')
        step = step * 10 + (text[p++] - '0');
      if (p < text.size() && text[p] == ':') ++p;
      while (p < text.size() && text[p] >= '0' && text[p] <= '9')
        sent = sent * 10 + (text[p++] - '0');
      if (p >= text.size()) return at;  // incomplete: keep from the marker on
      if (now == 0) now = mono_ns();
      batch_.push_back({step, now - sent});
      done = p;
    }
    return done;
  }

  std::vector<sockaddr_in> relays_;
  bool websocket_;
  int first_index_;
  int epoll_;
  std::vector<Stream> streams_;
  // Read by the main thread while the event loop runs.
  std::atomic<int> ready_{0}, failed_{0}, closed_after_ready_{0};
  std::atomic<uint64_t> bytes_{0};
  std::vector<Delivery> batch_;
  std::mutex mutex_;
  std::vector<Delivery> deliveries_;
};

// The fan-out's subscribers over several receiver threads, one Receiver (epoll loop) each: with
// thousands of subscribers one thread reading every socket in turn becomes the last stage of
// every delivery, a bound of the harness rather than of the relay.
class ReceiverPool {
 public:
  ReceiverPool(const std::vector<sockaddr_in>& relays, bool websocket, int threads, int subs) {
    for (int t = 0; t < threads; ++t) {
      receivers_.push_back(std::make_unique<Receiver>(relays, websocket, t * subs));
    }
  }
  // Opens `subs` streams in all, split evenly, every receiver opening its share at once.
  void open_all(int subs, const std::string& room) {
    std::vector<std::thread> openers;
    const int n = int(receivers_.size());
    for (int t = 0; t < n; ++t) {
      const int share = subs / n + (t < subs % n ? 1 : 0);
      openers.emplace_back([this, t, share, &room] {
        receivers_[size_t(t)]->open_all(share, [&](int) { return room; });
      });
    }
    for (auto& o : openers) o.join();
  }
  void start(const std::atomic<bool>& stop) {
    for (auto& r : receivers_) loops_.emplace_back([&r, &stop] { r->run(stop); });
  }
  void join() {
    for (auto& l : loops_) l.join();
  }
  std::vector<Delivery> take_deliveries() {
    std::vector<Delivery> all;
    for (auto& r : receivers_) {
      auto part = r->take_deliveries();
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }
  int ready() const { return sum(&Receiver::ready); }
  int failed() const { return sum(&Receiver::failed); }
  int closed_after_ready() const { return sum(&Receiver::closed_after_ready); }
  uint64_t bytes() const {
    uint64_t b = 0;
    for (auto& r : receivers_) b += r->bytes();
    return b;
  }
  void close_all() {
    for (auto& r : receivers_) r->close_all();
  }

 private:
  int sum(int (Receiver::*count)() const) const {
    int n = 0;
    for (auto& r : receivers_) n += ((*r).*count)();
    return n;
  }
  std::vector<std::unique_ptr<Receiver>> receivers_;
  std::vector<std::thread> loops_;
};

// Open-loop poster: `connections` pipelined keep-alive connections, requests written at their
// scheduled times whatever the responses do; responses are read and counted by status class.
class Sender {
 public:
  Sender(sockaddr_in relay, std::string room, int connections) : room_(std::move(room)) {
    for (int i = 0; i < connections; ++i) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      src.sin_addr.s_addr = htonl((127u << 24) | (2u << 16) | uint32_t(i + 1));
      int fd = connect_nonblocking(relay, &src);
      if (fd < 0) die("sender connect");
      fds_.push_back(fd);
    }
    usleep(20000);  // let the connects complete
  }
  ~Sender() {
    for (int fd : fds_) close(fd);
  }

  // Sends `rate` messages/s for `seconds`; returns the number written.
  int run_step(int step, double rate, double seconds) {
    int64_t start = mono_ns();
    int64_t total = int64_t(rate * seconds);
    double interval_ns = 1e9 / rate;
    int64_t sent = 0;
    while (sent < total) {
      int64_t due = start + int64_t(double(sent) * interval_ns);
      int64_t now = mono_ns();
      if (now < due) {
        drain();
        if (due - now > 200'000) {
          timespec ts{0, long(std::min<int64_t>(due - now - 100'000, 1'000'000))};
          nanosleep(&ts, nullptr);
        }
        continue;
      }
      post(fds_[size_t(sent) % fds_.size()], step);
      ++sent;
    }
    return int(sent);
  }
  uint64_t non_2xx() const { return non_2xx_; }
  void drain() {
    char buf[65536];
    for (int fd : fds_)
      for (ssize_t r; (r = ::read(fd, buf, sizeof buf)) > 0;)
        count_statuses(std::string_view(buf, size_t(r)));
  }

 private:
  void post(int fd, int step) {
    char body[256];
    int blen = std::snprintf(
        body, sizeof body,
        "{\"sender\":\"t%d:%lld\",\"ciphertext\":\"6CyhbKhbXW5okJtMtLTAFnN3DPYBz0POOK1c"
        "LJPBvwUToDCW6aTUnVl/tQHhkMhpw7epQpv96MlTScrcO918qA==\","
        "\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\"}",
        step, static_cast<long long>(mono_ns()));
    char req[512];
    int n = std::snprintf(req, sizeof req,
                          "POST /api/rooms/%s/messages HTTP/1.1\r\nHost: bench\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                          room_.c_str(), blen, body);
    for (int off = 0; off < n;) {
      ssize_t w = ::write(fd, req + off, size_t(n - off));
      if (w > 0)
        off += int(w);
      else if (errno == EAGAIN)
        drain();
      else
        die("sender write");
    }
  }
  void count_statuses(std::string_view text) {
    for (size_t at = text.find("HTTP/1.1 "); at != std::string_view::npos;
         at = text.find("HTTP/1.1 ", at + 1))
      if (at + 9 < text.size() && text[at + 9] != '2') ++non_2xx_;
  }

  std::string room_;
  std::vector<int> fds_;
  uint64_t non_2xx_ = 0;
};

sockaddr_in relay_address(const char* host, const char* port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(std::atoi(port)));
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("relay address");
  return a;
}

// "PORT" or "PORT,PORT,…" (cluster nodes on one host).
std::vector<sockaddr_in> relay_addresses(const char* host, const char* ports) {
  std::vector<sockaddr_in> out;
  std::stringstream list(ports);
  for (std::string p; std::getline(list, p, ',');) out.push_back(relay_address(host, p.c_str()));
  if (out.empty()) die("relay ports");
  return out;
}

double percentile_ms(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return double(v[k]) / 1e6;
}

struct ProcSample {
  long rss_kib = 0;
  long ticks = 0;
  int64_t at_ns = 0;
};

ProcSample sample(int pid) {
  ProcSample s;
  s.at_ns = mono_ns();
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::atol(line.c_str() + 6);
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(all.substr(all.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int k = 3; k <= 15 && fields >> f; ++k) {
    if (k == 14) utime = std::atol(f.c_str());
    if (k == 15) stime = std::atol(f.c_str());
  }
  s.ticks = utime + stime;
  return s;
}

double cpu_pct(const ProcSample& a, const ProcSample& b) {
  double secs = double(b.at_ns - a.at_ns) / 1e9;
  return secs > 0 ? double(b.ticks - a.ticks) / double(sysconf(_SC_CLK_TCK)) / secs * 100 : 0;
}

int fanout(int argc, char** argv) {
  if (argc < 9) return 1;
  const std::vector<sockaddr_in> relays = relay_addresses(argv[2], argv[3]);
  // The sender posts to the first port unless FANOUT_SEND_PORT names another node.
  const char* send_port = std::getenv("FANOUT_SEND_PORT");
  const sockaddr_in relay = send_port ? relay_address(argv[2], send_port) : relays.front();
  std::string room = argv[4];
  bool ws = std::string_view(argv[5]) == "ws";
  int subs = std::atoi(argv[6]);
  std::vector<double> rates;
  std::stringstream list(argv[7]);
  for (std::string r; std::getline(list, r, ',');) rates.push_back(std::atof(r.c_str()));
  double step_s = std::atof(argv[8]);
  int relay_pid = argc > 9 ? std::atoi(argv[9]) : 0;  // optional: the relay's CPU per step

  // FANOUT_RECEIVER_THREADS: how many receiver threads share the subscribers (default 1).
  const char* threads_env = std::getenv("FANOUT_RECEIVER_THREADS");
  const int receiver_threads = std::max(1, threads_env ? std::atoi(threads_env) : 1);
  ReceiverPool receiver(relays, ws, receiver_threads, subs);
  int64_t t0 = mono_ns();
  receiver.open_all(subs, room);
  double join_s = double(mono_ns() - t0) / 1e9;
  std::fprintf(stderr, "  %d/%d subscribers ready in %.2f s (%d failed)\n", receiver.ready(), subs,
               join_s, receiver.failed());
  std::atomic<bool> stop{false};
  receiver.start(stop);
  // Every join broadcast a presence event to the whole room (O(N²) events for N joiners):
  // measure only once that storm has drained, i.e. no byte arrived for 300 ms (at most 120 s).
  for (uint64_t last = receiver.bytes(), quiet_ms = 0, waited_ms = 0;
       quiet_ms < 300 && waited_ms < 120'000; waited_ms += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t now_bytes = receiver.bytes();
    quiet_ms = now_bytes == last ? quiet_ms + 50 : 0;
    last = now_bytes;
  }
  const double settle_s = double(mono_ns() - t0) / 1e9;
  std::fprintf(stderr, "  presence storm drained %.2f s after the first connect\n", settle_s);
  receiver.take_deliveries();

  Sender sender(relay, room, 4);
  for (size_t i = 0; i < rates.size(); ++i) {
    int step = int(i) + 1;
    int64_t s0 = mono_ns();
    ProcSample cpu0 = relay_pid ? sample(relay_pid) : ProcSample{};
    // This process shares the machine's cores with the relay: its CPU bounds the fan-out too.
    ProcSample own0 = sample(getpid());
    int sent = sender.run_step(step, rates[i], step_s);
    ProcSample cpu1 = relay_pid ? sample(relay_pid) : ProcSample{};
    double send_s = double(mono_ns() - s0) / 1e9;
    // Drain: wait until every delivery arrived or 2 s passed.
    std::vector<int64_t> lat;
    uint64_t expected = uint64_t(sent) * uint64_t(receiver.ready() - receiver.closed_after_ready());
    int64_t deadline = mono_ns() + 2'000'000'000;
    while (mono_ns() < deadline) {
      sender.drain();
      for (const Delivery& d : receiver.take_deliveries())
        if (d.step == step) lat.push_back(d.latency_ns);
      if (lat.size() >= expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // After the drain, so that the work of the step's last messages counts.
    ProcSample cpu2 = relay_pid ? sample(relay_pid) : ProcSample{};
    ProcSample own1 = sample(getpid());
    const double relay_cpu = relay_pid ? cpu_pct(cpu0, cpu1) : 0.0;
    const double own_cpu = cpu_pct(own0, own1);
    // CPU time per delivery, in µs (the step's CPU over what it delivered).
    auto us_per_delivery = [&](const ProcSample& a, const ProcSample& b) {
      return lat.empty() ? 0.0
                         : double(b.ticks - a.ticks) / double(sysconf(_SC_CLK_TCK)) * 1e6 /
                               double(lat.size());
    };
    double p50 = percentile_ms(lat, 50), p90 = percentile_ms(lat, 90), p99 = percentile_ms(lat, 99);
    double max = lat.empty() ? 0 : double(*std::max_element(lat.begin(), lat.end())) / 1e6;
    std::printf(
        "RESULT "
        "{\"transport\":\"%s\",\"subs\":%d,\"ready\":%d,\"join_s\":%.2f,\"settle_s\":%.2f,\"rate\":"
        "%.0f,\"sent\":%d,"
        "\"send_s\":%.2f,\"delivered\":%zu,\"expected\":%llu,\"deliveries_per_s\":%.0f,\"p50_ms\":%"
        ".3f,"
        "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"non_2xx\":%llu,\"dropped_subs\":%d,"
        "\"relay_cpu_pct\":%.1f,\"relay_us_per_delivery\":%.2f,\"receiver_cpu_pct\":%.1f,"
        "\"receiver_us_per_delivery\":%.2f,\"receiver_threads\":%d}\n",
        ws ? "ws" : "sse", subs, receiver.ready(), join_s, settle_s, rates[i], sent, send_s,
        lat.size(), static_cast<unsigned long long>(expected), double(lat.size()) / send_s, p50,
        p90, p99, max, static_cast<unsigned long long>(sender.non_2xx()),
        receiver.closed_after_ready(), relay_cpu, relay_pid ? us_per_delivery(cpu0, cpu2) : 0.0,
        own_cpu, us_per_delivery(own0, own1), receiver_threads);
    std::fflush(stdout);
    if (p99 >= 50 || lat.size() < expected || receiver.closed_after_ready() > 0) break;
  }
  stop = true;
  receiver.join();
  receiver.close_all();
  return 0;
}

int idle(int argc, char** argv) {
  if (argc < 9) return 1;
  sockaddr_in relay = relay_address(argv[2], argv[3]);
  bool ws = std::string_view(argv[4]) == "ws";
  int total = std::atoi(argv[5]), per_room = std::atoi(argv[6]);
  double hold_s = std::atof(argv[7]);
  int pid = std::atoi(argv[8]);
  std::string prefix = "idle" + std::to_string(mono_ns() % 100000) + (ws ? "w" : "s");

  ProcSample before = sample(pid);
  Receiver receiver({relay}, ws);
  int64_t t0 = mono_ns();
  receiver.open_all(total, [&](int i) { return prefix + std::to_string(i / per_room); });
  double open_s = double(mono_ns() - t0) / 1e9;
  std::atomic<bool> stop{false};
  std::thread loop([&] { receiver.run(stop); });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ProcSample opened = sample(pid);
  uint64_t bytes_open = receiver.bytes();
  std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(hold_s * 1000)));
  ProcSample held = sample(pid);
  stop = true;
  loop.join();
  int ready = receiver.ready();
  std::printf(
      "RESULT {\"transport\":\"%s\",\"total\":%d,\"per_room\":%d,\"ready\":%d,\"failed\":%d,"
      "\"closed_during_hold\":%d,\"open_s\":%.3f,\"open_rate_per_s\":%.0f,\"rss_kib_before\":%ld,"
      "\"rss_kib_held\":%ld,\"rss_kib_per_conn\":%.2f,\"cpu_pct_open\":%.1f,\"cpu_pct_idle\":%.2f,"
      "\"bytes_during_hold\":%llu}\n",
      ws ? "ws" : "sse", total, per_room, ready, receiver.failed(), receiver.closed_after_ready(),
      open_s, double(ready) / open_s, before.rss_kib, held.rss_kib,
      double(held.rss_kib - before.rss_kib) / std::max(1, ready), cpu_pct(before, opened),
      cpu_pct(opened, held), static_cast<unsigned long long>(receiver.bytes() - bytes_open));
  std::fflush(stdout);
  receiver.close_all();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc > 1 ? argv[1] : "";
  int rc = mode == "fanout" ? fanout(argc, argv) : mode == "idle" ? idle(argc, argv) : 1;
  if (rc == 1)
    std::fprintf(
        stderr,
        "usage: fanout_receiver fanout HOST PORT[,PORT…] ROOM sse|ws SUBS RATES STEP_S "
        "[RELAY_PID]\n"
        "       (subscribers spread over the ports; env FANOUT_SEND_PORT: post elsewhere)\n"
        "       fanout_receiver idle HOST PORT sse|ws TOTAL PER_ROOM HOLD_S RELAY_PID\n");
  return rc;
}
