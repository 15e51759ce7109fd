#include "client/room_url.h"

#include <sodium.h>

#include <algorithm>

#include "core/base64.h"
#include "identity/crypto.h"

namespace b2b::client {

bool is_valid_room_id(std::string_view id) {
  if (id.size() < 4 || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::optional<std::string> decode_b64_lenient(std::string_view s) {
  if (sodium_init() < 0) return std::nullopt;
  std::string t(s);
  while (!t.empty() && t.back() == '=') t.pop_back();
  for (char& c : t) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  std::string out(t.size() * 3 / 4 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), t.data(),
                        t.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != t.data() + t.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

core::Result<RoomUrl> parse_room_url(std::string_view url) {
  auto hash = url.find('#');
  std::string_view before = url.substr(0, hash);
  std::string_view fragment = hash == std::string_view::npos ? "" : url.substr(hash + 1);
  auto room_pos = before.rfind("/room/");
  if (room_pos == std::string_view::npos) {
    return core::Error{"bad room URL", "expected <base>/room/<id>#k=<key>"};
  }
  std::string_view id = before.substr(room_pos + 6);
  if (!id.empty() && id.back() == '/') id.remove_suffix(1);
  if (!is_valid_room_id(id)) {
    return core::Error{"bad room URL",
                       "room id '" + std::string(id) + "' must match [A-Za-z0-9_-]{4,64}"};
  }
  auto endpoint = parse_endpoint(before.substr(0, room_pos));
  if (!endpoint) {
    return core::Error{
        endpoint.error().error == "bad base URL" ? "bad room URL" : endpoint.error().error,
        endpoint.error().detail};
  }
  RoomUrl out{std::move(endpoint).value(), std::string(id), {}, {}};
  bool have_key = false;
  while (!fragment.empty()) {
    auto amp = fragment.find('&');
    std::string_view pair = fragment.substr(0, amp);
    fragment = amp == std::string_view::npos ? "" : fragment.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (name == "k") {
      auto key = decode_b64_lenient(value);
      if (!key || key->size() != kRoomKeyBytes) {
        return core::Error{"bad room key",
                           "the #k= fragment must be base64url of exactly 32 bytes"};
      }
      out.key = std::move(*key);
      have_key = true;
    } else {
      out.other_pairs.emplace_back(std::move(name), std::move(value));
    }
  }
  if (!have_key) {
    return core::Error{"bad room key", "the room URL has no #k=<key> fragment"};
  }
  return out;
}

std::string RoomUrl::to_string() const {
  std::string s =
      endpoint.base_url() + "/room/" + room_id + "#k=" + core::base64url_encode_unpadded(key);
  for (const auto& [name, value] : other_pairs) s += "&" + name + "=" + value;
  return s;
}

std::string RoomUrl::api_path(std::string_view tail) const {
  return "/api/rooms/" + room_id + std::string(tail);
}

std::optional<std::string> RoomUrl::fragment(std::string_view name) const {
  for (const auto& [n, v] : other_pairs) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string new_room_id() {
  if (sodium_init() < 0) return {};
  unsigned char bytes[10];
  randombytes_buf(bytes, sizeof bytes);
  std::string id;
  for (unsigned char b : bytes) id.push_back(kRoomIdAlphabet[b % kRoomIdAlphabet.size()]);
  return id;
}

std::string new_room_key() {
  if (sodium_init() < 0) return {};
  std::string key(kRoomKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

RoomUrl make_room_url(const Endpoint& endpoint, std::string room_id, std::string key) {
  return RoomUrl{endpoint, std::move(room_id), std::move(key), {}};
}

std::string key_fingerprint(std::string_view key) {
  std::string hex = identity::sha256_hex(key).substr(0, 16);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(' ');
    char c = hex[i];
    out.push_back(c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

}  // namespace b2b::client
