// POST /api/rooms/:id/messages load generator for bench/post.sh: the same requests as
// ../shared/bench/post.lua (fixed envelope, X-Forwarded-For rotated over 2000 loopback
// addresses, rooms round-robin), one request in flight per keep-alive connection like wrk,
// but from one epoll thread with no script interpreter per request, so that on a 2-core
// machine the relay rather than the generator is what saturates.
//   post_load HOST PORT CONNECTIONS SECONDS NROOMS ROOM_PREFIX
// Prints one RESULT json line: requests/s, latency p50/p99 (ms), non-2xx and failed counts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

constexpr std::string_view kBody =
    R"({"sender":"wrk","ciphertext":"6CyhbKhbXW5okJtMtLTAFnN3DPYBz0POOK1cLJPBvwUToDCW6aTUnVl/tQHhkMhpw7epQpv96MlTScrcO918qA==","nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"})";

struct Conn {
  int fd = -1;
  std::string in;
  int64_t sent_at = 0;
};

class Load {
 public:
  Load(sockaddr_in relay, int nrooms, std::string prefix)
      : relay_(relay), nrooms_(nrooms), prefix_(std::move(prefix)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
  }

  bool open(int n) {
    conns_.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&relay_), sizeof relay_) != 0) {
        std::perror("connect");
        return false;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conns_[size_t(i)].fd = fd;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = uint32_t(i);
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }
    return true;
  }

  void run(double seconds) {
    const int64_t end = mono_ns() + int64_t(seconds * 1e9);
    start_ = mono_ns();
    for (auto& c : conns_) send(c);
    epoll_event events[256];
    while (mono_ns() < end) {
      int n = epoll_wait(epoll_, events, 256, 100);
      for (int k = 0; k < n; ++k) on_readable(conns_[events[k].data.u32]);
    }
    elapsed_s_ = double(mono_ns() - start_) / 1e9;
  }

  void report(int connections) {
    std::sort(latencies_.begin(), latencies_.end());
    auto pct = [&](double p) {
      return latencies_.empty()
                 ? 0.0
                 : double(latencies_[std::min(latencies_.size() - 1,
                                              size_t(p / 100 * double(latencies_.size())))]) /
                       1e6;
    };
    std::printf(
        "RESULT {\"conns\":%d,\"requests\":%zu,\"seconds\":%.2f,\"rps\":%.0f,\"p50_ms\":%.3f,"
        "\"p99_ms\":%.3f,\"non_2xx\":%llu,\"failed\":%llu}\n",
        connections, latencies_.size(), elapsed_s_, double(latencies_.size()) / elapsed_s_, pct(50),
        pct(99), static_cast<unsigned long long>(non_2xx_),
        static_cast<unsigned long long>(failed_));
  }

 private:
  void send(Conn& c) {
    const uint64_t k = counter_++;
    const unsigned ip = unsigned(k % 2000);
    char req[512];
    int n = std::snprintf(req, sizeof req,
                          "POST /api/rooms/%s%03d/messages HTTP/1.1\r\nHost: bench\r\n"
                          "Content-Type: application/json\r\nX-Forwarded-For: 127.20.%u.%u\r\n"
                          "Content-Length: %zu\r\n\r\n%.*s",
                          prefix_.c_str(), int(k % uint64_t(nrooms_)) + 1, ip / 250, ip % 250 + 1,
                          kBody.size(), int(kBody.size()), kBody.data());
    c.sent_at = mono_ns();
    if (::write(c.fd, req, size_t(n)) != n) fail(c);
  }

  void fail(Conn& c) {
    ++failed_;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
  }

  void on_readable(Conn& c) {
    if (c.fd < 0) return;
    char buf[16384];
    ssize_t r = ::read(c.fd, buf, sizeof buf);
    if (r <= 0) return fail(c);
    c.in.append(buf, size_t(r));
    // One response per request: status line, headers with Content-Length, body.
    size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    size_t cl = c.in.find("Content-Length: ");
    if (cl == std::string::npos || cl > head_end) cl = c.in.find("content-length: ");
    const size_t body = cl == std::string::npos ? 0 : size_t(std::atol(c.in.c_str() + cl + 16));
    if (c.in.size() < head_end + 4 + body) return;
    if (c.in.compare(0, 10, "HTTP/1.1 2") != 0) ++non_2xx_;
    latencies_.push_back(mono_ns() - c.sent_at);
    c.in.erase(0, head_end + 4 + body);
    send(c);
  }

  sockaddr_in relay_;
  int nrooms_;
  std::string prefix_;
  int epoll_;
  std::vector<Conn> conns_;
  std::vector<int64_t> latencies_;
  uint64_t counter_ = 0, non_2xx_ = 0, failed_ = 0;
  int64_t start_ = 0;
  double elapsed_s_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: post_load HOST PORT CONNECTIONS SECONDS NROOMS ROOM_PREFIX\n");
    return 1;
  }
  sockaddr_in relay{};
  relay.sin_family = AF_INET;
  relay.sin_port = htons(uint16_t(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &relay.sin_addr) != 1) return 1;
  const int connections = std::atoi(argv[3]);
  Load load(relay, std::atoi(argv[5]), argv[6]);
  if (!load.open(connections)) return 2;
  load.run(std::atof(argv[4]));
  load.report(connections);
  return 0;
}
