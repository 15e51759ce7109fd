#include "client/room_crypto.h"

#include <sodium.h>
#include <boost/json/parse.hpp>

#include "client/room_url.h"
#include "core/base64.h"
#include "core/utf8.h"

namespace b2b::client {

SealedText seal_text_with_nonce(std::string_view key, std::string_view text,
                                std::string_view nonce24) {
  std::string ct(text.size() + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(ct.data()),
                        reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                        reinterpret_cast<const unsigned char*>(nonce24.data()),
                        reinterpret_cast<const unsigned char*>(key.data()));
  return SealedText{core::base64_encode(ct), core::base64_encode(nonce24)};
}

SealedText seal_text(std::string_view key, std::string_view text) {
  if (sodium_init() < 0) return {};
  std::string nonce(crypto_secretbox_NONCEBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return seal_text_with_nonce(key, text, nonce);
}

std::optional<std::string> open_text(std::string_view key, std::string_view ciphertext_b64,
                                     std::string_view nonce_b64) {
  if (key.size() != crypto_secretbox_KEYBYTES) return std::nullopt;
  auto ct = decode_b64_lenient(ciphertext_b64);
  auto nonce = decode_b64_lenient(nonce_b64);
  if (!ct || !nonce || nonce->size() != crypto_secretbox_NONCEBYTES ||
      ct->size() < crypto_secretbox_MACBYTES) {
    return std::nullopt;
  }
  std::string plain(ct->size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 reinterpret_cast<const unsigned char*>(ct->data()), ct->size(),
                                 reinterpret_cast<const unsigned char*>(nonce->data()),
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < plain.size();) {
    auto cp = core::utf8::decode_at(plain, i);
    if (!cp.valid) return std::nullopt;
    i += cp.size;
  }
  return plain;
}

std::optional<EnvelopeKind> envelope_kind(std::string_view text) {
  if (text.empty() || text.front() != '{') return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& obj = v.get_object();
  static constexpr std::pair<std::string_view, EnvelopeKind> kMarkers[] = {
      {"bot2bot_adopt_v1", EnvelopeKind::kAdopt},
      {"bot2bot_delete_v1", EnvelopeKind::kDelete},
      {"bot2bot_react_v1", EnvelopeKind::kReact},
      {"bot2bot_hist_resp_v1", EnvelopeKind::kHistResp},
      {"bot2bot_hist_req_v1", EnvelopeKind::kHistReq},
  };
  for (const auto& [marker, kind] : kMarkers) {
    auto it = obj.find(marker);
    if (it != obj.end() && it->value().is_bool() && it->value().get_bool()) return kind;
  }
  return std::nullopt;
}

}  // namespace b2b::client
