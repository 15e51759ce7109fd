#include "core/room_posting.h"

#include "core/base64.h"

namespace b2b::core {
namespace {

PreparedPost refuse(PostRefusal r, std::string detail) {
  PreparedPost out;
  out.refusal = r;
  out.detail = std::move(detail);
  return out;
}

}  // namespace

PreparedPost prepare_post(Room& room, IncomingMessage in, std::string_view default_sender,
                          SenderVerifier& verifier, int64_t now_ms,
                          const SignatureCheck* precheck) {
  room.prune(now_ms);  // expired messages do not count against the budgets
  // Step 5: budgets, before the signature, so a refused retry keeps its nonce (§6.1 notes).
  if (auto e = room.check_budget(in.ciphertext.size())) {
    bool global = e->error.rfind("global", 0) == 0;
    return refuse(global ? PostRefusal::kGlobalBufferFull : PostRefusal::kRoomBufferFull,
                  e->detail);
  }

  MessageDraft draft;
  if (in.is_signed) {  // step 6
    const SignatureCheck check = precheck ? *precheck : verifier.check(room.id(), in, now_ms);
    if (!check.ok) return refuse(PostRefusal::kBadSignature, check.detail);
    auto v = verifier.admit(check, now_ms);
    if (!v) {
      const bool busy = v.error().error != "bad sender_sig";
      return refuse(busy ? PostRefusal::kSignatureBusy : PostRefusal::kBadSignature,
                    v.error().detail);
    }
    draft.sender = "@" + v.value().handle;
    draft.sender_verified = true;
    draft.signature = std::move(v.value().signature);
    // Relayed as signed: recipients hash the ciphertext string exactly as it was posted.
    draft.ciphertext = std::move(in.ciphertext);
    draft.nonce = std::move(in.nonce);
  } else {
    draft.sender = in.sender ? std::move(*in.sender) : std::string(default_sender);
    // §20.16: readers decode with the standard alphabet only.
    draft.ciphertext = to_standard_alphabet(in.ciphertext);
    draft.nonce = to_standard_alphabet(in.nonce);
  }

  const bool locks = !room.signed_only() && in.signed_only;  // step 7
  if (locks && !in.is_signed) {
    return refuse(PostRefusal::kSignedOnlyNeedsSig,
                  "signed_only:true locks a room and needs a valid sender signature");
  }
  if (room.signed_only() && !in.is_signed) {  // step 8
    return refuse(PostRefusal::kRoomLocked, "this room only accepts signed posts");
  }

  draft.ttl_ms = in.ttl_ms;
  draft.reply_to = std::move(in.reply_to);
  PreparedPost out;
  out.draft = std::move(draft);
  out.lock_first = locks;
  return out;
}

PostResult post_to_room(Room& room, IncomingMessage in, std::string_view default_sender,
                        SenderVerifier& verifier, int64_t now_ms, const SignatureCheck* precheck) {
  PreparedPost prepared =
      prepare_post(room, std::move(in), default_sender, verifier, now_ms, precheck);
  PostResult out;
  if (prepared.refusal) {
    out.refusal = prepared.refusal;
    out.detail = std::move(prepared.detail);
    return out;
  }
  auto appended = room.append(std::move(prepared.draft), now_ms, prepared.lock_first);  // step 9
  if (!appended) {
    out.refusal = PostRefusal::kGlobalBufferFull;
    out.detail = appended.error().detail;
    return out;
  }
  out.message = std::move(appended.value());
  return out;
}

}  // namespace b2b::core
