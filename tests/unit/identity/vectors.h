// IDENTITY.md §8 test vectors (byte-exact; tweetnacl and libsodium agree).
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace b2b::identity::vectors {

// Bytes first, first+1, ..., first+n-1 (the spec writes seeds as "000102…1f").
inline std::string byte_run(int first, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += static_cast<char>(first + i);
  return out;
}

inline constexpr int64_t kTs = 1767225600000;

inline constexpr std::string_view kAliceSignPub = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
inline constexpr std::string_view kAliceBoxPub = "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ=";
inline constexpr std::string_view kBobSignPub = "JUO5L/EJVRFHatyDadtt3JM2ZaEZeN2hQE7hBmypVZ0=";
inline constexpr std::string_view kBobBoxPub = "Z13VdO13iTELPS52gfN5C0ZsdzsVIf7PNld5WDcepS8=";

inline constexpr std::string_view kT1 =
    "register alice-bot 1767225600000 NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ= "
    "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
inline constexpr std::string_view kT1Sig =
    "MSzkzjteAx2yZ0Pxsdr8hxkNIz1J8Gabl+SViAOciiKCxru49M7x+8QfTqMTpF7DZsTTojPQWiEM3TGo8I0uCA==";

inline constexpr std::string_view kT2Target = "/api/dm/alice-bot/inbox/wait?after=0&timeout=30";
inline constexpr std::string_view kT2Nonce = "AAECAwQFBgcICQoLDA0ODxAR";
inline constexpr std::string_view kT2 =
    "GET /api/dm/alice-bot/inbox/wait?after=0&timeout=30 1767225600000 AAECAwQFBgcICQoLDA0ODxAR";
inline constexpr std::string_view kT2Header =
    "Bot2Bot ts=1767225600000,n=AAECAwQFBgcICQoLDA0ODxAR,sig=6AxSyyg9pYIRMZyoaLyC8Oj/"
    "3506zuK5kfshVQ+/1R/6ujqTojtr9M/R4wz8U7gbQatWEYsQ1ikM0ZyFL0qdBQ==";
inline constexpr std::string_view kT2Sig =
    "6AxSyyg9pYIRMZyoaLyC8Oj/3506zuK5kfshVQ+/1R/6ujqTojtr9M/R4wz8U7gbQatWEYsQ1ikM0ZyFL0qdBQ==";

inline constexpr std::string_view kDmCiphertext = "eL7eC1DunxMzLkC6apTioUAMmH3+yL07HaXk";
inline constexpr std::string_view kDmNonce = "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f";
inline constexpr std::string_view kDmEphPub = "ST6C/HRGSlkmiBdiPSBTxeuOLMSpiLT+4XnsawENUx0=";
inline constexpr std::string_view kDmEnvHash =
    "fb167fb0bd1d78fe9a01cb0d7795ee8ba8e00a6f8ca607a5ed90b2d41a56c44c";
inline constexpr std::string_view kT3 =
    "dm alice-bot bob-bot 1767225600000 "
    "fb167fb0bd1d78fe9a01cb0d7795ee8ba8e00a6f8ca607a5ed90b2d41a56c44c";
inline constexpr std::string_view kT3Sig =
    "JHQuyeFJ7rqRcyeaiLOgBceupPI8XfbA9aYv+weCgY0SwhzYrl5NB7TaqrKolvldjnCyaevCCRBkCgGhg0t7AQ==";

inline constexpr std::string_view kRoomNonce = "MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJ";
inline constexpr std::string_view kRoomCiphertext = "/VOrcf6aBM5u56A9AL3natWxoU4lJnw=";
inline constexpr std::string_view kRoomCtHash =
    "c71648258f4092220dba2a6ebec6037c55b6c53c28d65f4c8f0ad971aaa4fa42";
inline constexpr std::string_view kRoomSenderNonce = "EhMUFRYXGBkaGxwdHh8gISIj";
inline constexpr std::string_view kT4 =
    "room-msg ROOM1234 1767225600000 EhMUFRYXGBkaGxwdHh8gISIj "
    "c71648258f4092220dba2a6ebec6037c55b6c53c28d65f4c8f0ad971aaa4fa42";
inline constexpr std::string_view kT4Sig =
    "JZRyWKgViduQKV/8LSKajCV7U93TWRceCd3fcZLjK3G9TfFblxk53prHgcW+CD6lOsWoilFVZY4IK906UcfPDA==";

inline constexpr std::string_view kProfileCanonical =
    R"({"capabilities":["python","market-data"],"contact_policy":"signed_dm_first",)"
    R"("display_name":"Alice Bot","expires_at":1767830400000,"framework":"openclaw",)"
    R"("framework_version":"1.2","handle":"alice-bot","homepage_url":"https://example.com/",)"
    R"("languages":["en"],"schema":"bot2bot.agent_profile.v1",)"
    R"("summary":"Finds Python market-data peers.","topics":["trading"],)"
    R"("updated_at":1767225600000})";
inline constexpr std::string_view kProfileHash =
    "df0f0d427476f167f920e3944c3e2beda9c44468e7cb1214c15e2943001bceef";
inline constexpr std::string_view kProfileSig =
    "gocAyLhAzL0BTzCuGAajk3Os3hR7dJUFP4xSq4mIUpRxO2bugOFlWnk8lt58vfR9+yb1AaRnrLo10FNhGIL3Ag==";
inline constexpr std::string_view kT5 =
    "bot2bot-agent-profile-v1\nalice-bot\n1767225600000\n"
    "df0f0d427476f167f920e3944c3e2beda9c44468e7cb1214c15e2943001bceef";

// The §3.3 request profile, as a client sends it.
inline boost::json::value alice_profile() {
  return boost::json::parse(R"({
    "schema": "bot2bot.agent_profile.v1", "handle": "alice-bot",
    "display_name": "Alice Bot", "framework": "openclaw", "framework_version": "1.2",
    "summary": "Finds Python market-data peers.",
    "capabilities": ["python", "market-data"], "topics": ["trading"], "languages": ["en"],
    "contact_policy": "signed_dm_first", "homepage_url": "https://example.com/",
    "updated_at": 1767225600000, "expires_at": 1767830400000
  })");
}

}  // namespace b2b::identity::vectors
