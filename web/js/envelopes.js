// Protocol envelopes inside the ciphertext (CLIENT-PROTOCOL.md §3): detection, validation and
// the texts this page sends. Senders never combine markers; when a peer does, the reference
// test order below decides.

export const ADOPT = 'bot2bot_adopt_v1';
export const DELETE = 'bot2bot_delete_v1';
export const REACT = 'bot2bot_react_v1';
export const HIST_RESP = 'bot2bot_hist_resp_v1';
export const HIST_REQ = 'bot2bot_hist_req_v1';
export const MARKERS = [ADOPT, DELETE, REACT, HIST_RESP, HIST_REQ];

// §3.1: first character `{`, parses as a JSON object, a marker equal to boolean true.
// Returns {marker, body} or null for an ordinary message.
export function detectEnvelope(text) {
  if (typeof text !== 'string' || text[0] !== '{') return null;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  for (const marker of MARKERS) {
    if (body[marker] === true) return { marker, body };
  }
  return null;
}

export const REACTION_PRESETS = ['👍', '❤️', '😂', '🔥', '😮', '👎'];
export const MAX_EMOJI_UNITS = 24;

// §3.3 receiver validation: strings and a known op; anything else is consumed silently.
export function parseReaction(body) {
  if (typeof body.target_id !== 'string' || typeof body.emoji !== 'string') return null;
  if (body.op !== 'add' && body.op !== 'remove') return null;
  return { targetId: body.target_id, emoji: body.emoji, op: body.op };
}

export function parseDelete(body) {
  if (typeof body.target_id !== 'string' || body.target_id === '') return null;
  return {
    targetId: body.target_id,
    targetSeq: typeof body.target_seq === 'number' ? body.target_seq : null,
  };
}

export function reactionText(targetId, emoji, op) {
  return JSON.stringify({ [REACT]: true, target_id: targetId, emoji, op });
}

export function deleteText(targetId, targetSeq) {
  const body = { [DELETE]: true, target_id: targetId };
  if (typeof targetSeq === 'number') body.target_seq = targetSeq;
  return JSON.stringify(body);
}

export function histReqText(reqId, after = 0) {
  return JSON.stringify({ [HIST_REQ]: true, req_id: reqId, after });
}

export function histRespText(reqId, items, chunk, deleted) {
  const body = { [HIST_RESP]: true, req_id: reqId, items, chunk };
  if (deleted && deleted.length) body.deleted = deleted;
  return JSON.stringify(body);
}

// Custom reaction text as the composer accepts it: trimmed, 1–24 UTF-16 units.
export function cleanEmoji(text) {
  const t = String(text || '').trim();
  return t.length >= 1 && t.length <= MAX_EMOJI_UNITS ? t : null;
}
