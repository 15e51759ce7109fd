// DMs per second end to end (issue 3's benchmark): P sender/recipient pairs, one thread and
// one keep-alive connection each. Per DM: the sender seals it (crypto_box under a per-pair
// precomputed key, fresh nonce), signs T3 and POSTs it; the recipient long-polls its inbox
// with a signed request and DELETEs (acknowledges) every envelope with another signed request.
// Usage: dm_bench HOST PORT [pairs=32] [dms_per_pair=200]
#include <sodium.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::string b64(const unsigned char* p, std::size_t n,
                int variant = sodium_base64_VARIANT_ORIGINAL) {
  std::string out(sodium_base64_encoded_len(n, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), p, n, variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string sha256_hex(const std::string& s) {
  unsigned char h[32];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, 32);
  return hex;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Identity {
  std::string handle;
  unsigned char sign_pk[32], sign_sk[64], box_pk[32], box_sk[32];
  std::string sign(const std::string& text) const {
    unsigned char sig[64];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                         text.size(), sign_sk);
    return b64(sig, 64);
  }
  std::string auth(const std::string& method, const std::string& target) const {
    unsigned char n[18];
    randombytes_buf(n, sizeof n);
    const std::string nonce = b64(n, sizeof n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    const int64_t ts = now_ms();
    const std::string sig = sign(method + " " + target + " " + std::to_string(ts) + " " + nonce);
    return "Bot2Bot ts=" + std::to_string(ts) + ",n=" + nonce + ",sig=" + sig;
  }
};

class Client {
 public:
  Client(const std::string& host, const std::string& port, std::string ip)
      : stream_(ioc_), xff_(std::move(ip)) {
    tcp::resolver r(ioc_);
    stream_.connect(r.resolve(host, port));
    host_ = host;
  }
  http::response<http::string_body> call(http::verb verb, const std::string& target,
                                         const std::string& body, const std::string& auth = "") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host_);
    req.set("X-Forwarded-For", xff_);
    if (!auth.empty()) req.set(http::field::authorization, auth);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buf_, res);
    return res;
  }

 private:
  boost::asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::string host_, xff_;
};

Identity make_identity(Client& c, const std::string& handle) {
  Identity id;
  id.handle = handle;
  crypto_sign_keypair(id.sign_pk, id.sign_sk);
  crypto_box_keypair(id.box_pk, id.box_sk);
  const std::string box_pub = b64(id.box_pk, 32), sign_pub = b64(id.sign_pk, 32);
  const int64_t ts = now_ms();
  const std::string sig =
      id.sign("register " + handle + " " + std::to_string(ts) + " " + box_pub + " " + sign_pub);
  auto res = c.call(http::verb::post, "/api/identity/register",
                    R"({"handle":")" + handle + R"(","box_pub":")" + box_pub + R"(","sign_pub":")" +
                        sign_pub + R"(","register_ts":)" + std::to_string(ts) +
                        R"(,"register_sig":")" + sig + R"("})");
  if (res.result_int() != 201) {
    std::fprintf(stderr, "register %s: %u %s\n", handle.c_str(), res.result_int(),
                 res.body().c_str());
    std::exit(1);
  }
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || sodium_init() < 0) {
    std::fprintf(stderr, "usage: dm_bench HOST PORT [pairs] [dms_per_pair]\n");
    return 2;
  }
  const std::string host = argv[1], port = argv[2];
  const int pairs = argc > 3 ? std::atoi(argv[3]) : 32;
  const int per_pair = argc > 4 ? std::atoi(argv[4]) : 200;
  const std::string run = std::to_string(now_ms() % 100000);

  std::atomic<long> acked{0}, errors{0};
  std::vector<std::vector<double>> latencies(pairs);
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int p = 0; p < pairs; ++p) {
    threads.emplace_back([&, p] {
      Client c(host, port, "127.40." + std::to_string(p / 250) + "." + std::to_string(p % 250 + 1));
      Identity sender = make_identity(c, "dms" + run + "x" + std::to_string(p));
      Identity recipient = make_identity(c, "dmr" + run + "x" + std::to_string(p));
      unsigned char eph_pk[32], eph_sk[32], shared[crypto_box_BEFORENMBYTES];
      crypto_box_keypair(eph_pk, eph_sk);
      if (crypto_box_beforenm(shared, recipient.box_pk, eph_sk) != 0) std::exit(1);
      const std::string eph_pub = b64(eph_pk, 32);
      int64_t after = 0;
      for (int i = 0; i < per_pair; ++i) {
        const std::string text = "dm " + std::to_string(i) + " of pair " + std::to_string(p);
        unsigned char nonce[24];
        randombytes_buf(nonce, 24);
        std::vector<unsigned char> ct(text.size() + crypto_box_MACBYTES);
        crypto_box_easy_afternm(ct.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                text.size(), nonce, shared);
        const std::string ct64 = b64(ct.data(), ct.size()), n64 = b64(nonce, 24);
        const int64_t ts = now_ms();
        const std::string env_hash = sha256_hex(ct64 + "|" + n64 + "|" + eph_pub);
        const std::string sig = sender.sign("dm " + recipient.handle + " " + sender.handle + " " +
                                            std::to_string(ts) + " " + env_hash);
        const auto sent = std::chrono::steady_clock::now();
        auto r = c.call(http::verb::post, "/api/dm/" + recipient.handle,
                        R"({"ciphertext":")" + ct64 + R"(","nonce":")" + n64 +
                            R"(","sender_eph_pub":")" + eph_pub + R"(","from_handle":")" +
                            sender.handle + R"(","from_ts":)" + std::to_string(ts) +
                            R"(,"from_sig":")" + sig + R"("})");
        if (r.result_int() != 200) {
          ++errors;
          continue;
        }
        const std::string wait = "/api/dm/" + recipient.handle +
                                 "/inbox/wait?after=" + std::to_string(after) + "&timeout=5";
        auto w = c.call(http::verb::get, wait, "", recipient.auth("GET", wait));
        if (w.result_int() != 200) {
          ++errors;
          continue;
        }
        const boost::json::value page = boost::json::parse(w.body());
        for (const auto& m : page.at("messages").as_array()) {
          const auto& o = m.as_object();
          after = std::max<int64_t>(after, o.at("seq").as_int64());
          latencies[p].push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent)
                  .count());
          const std::string del =
              "/api/dm/" + recipient.handle + "/inbox/" + std::string(o.at("id").as_string());
          auto d = c.call(http::verb::delete_, del, "", recipient.auth("DELETE", del));
          if (d.result_int() == 200)
            ++acked;
          else
            ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) { return all.empty() ? 0.0 : all[std::size_t(q * (all.size() - 1))]; };
  std::printf(
      "pairs=%d dms=%ld errors=%ld seconds=%.2f dms_per_s=%.0f send->received p50=%.2fms "
      "p99=%.2fms\n",
      pairs, acked.load(), errors.load(), secs, acked.load() / secs, pct(0.5), pct(0.99));
  return errors.load() == 0 ? 0 : 1;
}
