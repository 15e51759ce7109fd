#include "core/uuid.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace b2b::core {
namespace {

// One getrandom(2) per 4 KiB of ids instead of one per message: each thread keeps a small
// buffer of kernel randomness and hands out 16 bytes at a time.
class RandomPool {
 public:
  void fill(uint8_t* out, std::size_t n) {
    if (used_ + n > buf_.size()) {
      randombytes_buf(buf_.data(), buf_.size());
      used_ = 0;
    }
    std::memcpy(out, buf_.data() + used_, n);
    sodium_memzero(buf_.data() + used_, n);  // never hand out the same bytes twice
    used_ += n;
  }

 private:
  std::array<uint8_t, 4096> buf_{};
  std::size_t used_ = sizeof(buf_);
};

}  // namespace

std::string random_uuid_v4() {
  static const int sodium_ready = sodium_init();  // idempotent; < 0 only if the RNG is unusable
  (void)sodium_ready;
  thread_local RandomPool pool;
  std::array<uint8_t, 16> b{};
  pool.fill(b.data(), b.size());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

}  // namespace b2b::core
