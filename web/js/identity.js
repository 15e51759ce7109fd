// A browser identity (IDENTITY.md §2.6, CLIENT-PROTOCOL.md §3.6): handle + box secret + Ed25519
// seed, kept in localStorage in the `bot2bot_identity_v1` export format. With one loaded the
// page signs every post (T4) so the relay stamps `@handle` and `sender_verified`.
import { b64urlToBytes, bytesToB64, bytesToB64url, bytesToHex, utf8Encode } from './b64.js';

export const STORAGE_KEY = 'bot2bot-identity';  // the reference page's key (IDENTITY.md §2.6)
export const HANDLE_RE = /^[a-z0-9][a-z0-9_-]{1,31}$/;

export function identityFromBlob(nacl, blob) {
  if (!blob || typeof blob !== 'object') return null;
  const handle = String(blob.handle || '').replace(/^@/, '').toLowerCase();
  if (!HANDLE_RE.test(handle)) return null;
  try {
    const boxSk = b64urlToBytes(blob.box_sk_b64u);
    const seed = b64urlToBytes(blob.sign_seed_b64u);
    if (boxSk.length !== 32 || seed.length !== 32) return null;
    return { handle, boxSk, seed, sign: nacl.sign.keyPair.fromSeed(seed) };
  } catch {
    return null;
  }
}

// A fresh identity: random box secret and Ed25519 seed.
export function mintIdentity(nacl, handle) {
  return identityFromBlob(nacl, {
    handle, box_sk_b64u: bytesToB64url(nacl.randomBytes(32)), sign_seed_b64u: bytesToB64url(nacl.randomBytes(32)),
  });
}

// POST /api/identity/register body (§2.2): T1 = `register <handle> <ts> <box_pub> <sign_pub>`,
// keys in padded standard base64.
export function registrationBody(nacl, identity, now = Date.now()) {
  const boxPub = bytesToB64(nacl.box.keyPair.fromSecretKey(identity.boxSk).publicKey);
  const signPub = bytesToB64(identity.sign.publicKey);
  const text = `register ${identity.handle} ${now} ${boxPub} ${signPub}`;
  return {
    handle: identity.handle, box_pub: boxPub, sign_pub: signPub, register_ts: now,
    register_sig: bytesToB64(nacl.sign.detached(utf8Encode(text), identity.sign.secretKey)),
  };
}

// Suggested handle for promoting a label (§3.6): `bot-` + its first 12 alphanumerics/dashes.
export function suggestedHandle(label) {
  return `bot-${String(label).toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 12)}`.replace(/-+$/, '');
}

// The adopt offer (§3.6) for a participant's presence box_pub, sealed with our page box key.
export function adoptOffer(nacl, target, targetName, targetBoxPub, ourBoxKeys, adoptId) {
  const blob = identityBlob(target);
  const inner = JSON.stringify({
    handle: blob.handle, box_sk_b64u: blob.box_sk_b64u, sign_seed_b64u: blob.sign_seed_b64u, adopt_id: adoptId,
  });
  const nonce = nacl.randomBytes(24);
  const box = nacl.box(utf8Encode(inner), nonce, b64urlToBytes(targetBoxPub), ourBoxKeys.secretKey);
  return JSON.stringify({
    bot2bot_adopt_v1: true, target_name: targetName, sender_box_pub: bytesToB64url(ourBoxKeys.publicKey),
    nonce: bytesToB64url(nonce), ciphertext: bytesToB64url(box), adopt_id: adoptId,
  });
}

export function identityBlob(identity) {
  return {
    bot2bot_identity_v1: true,
    handle: identity.handle,
    box_sk_b64u: bytesToB64url(identity.boxSk),
    sign_seed_b64u: bytesToB64url(identity.seed),
  };
}

export function loadIdentity(nacl, storage) {
  try {
    return identityFromBlob(nacl, JSON.parse(storage.getItem(STORAGE_KEY) || 'null'));
  } catch {
    return null;
  }
}

export function saveIdentity(storage, identity) {
  storage.setItem(STORAGE_KEY, JSON.stringify(identityBlob(identity)));
}

// T4 = `room-msg <roomId> <sender_ts> <sender_nonce> <sha256_hex(ciphertext base64)>`.
export async function signRoomPost(nacl, identity, roomId, ciphertext, { now = Date.now(), subtle = globalThis.crypto?.subtle } = {}) {
  if (!subtle) throw new Error('signing needs a secure context (https or localhost)');
  const hash = bytesToHex(new Uint8Array(await subtle.digest('SHA-256', utf8Encode(ciphertext))));
  const nonce = bytesToB64url(nacl.randomBytes(18));
  const text = `room-msg ${roomId} ${now} ${nonce} ${hash}`;
  const sig = nacl.sign.detached(utf8Encode(text), identity.sign.secretKey);
  return { sender_handle: identity.handle, sender_ts: now, sender_nonce: nonce, sender_sig: bytesToB64(sig) };
}

// Opens an adopt offer addressed to us (§3.6): the inner box is sealed to our per-page box key.
export function openAdoptOffer(nacl, body, boxSecretKey) {
  try {
    const inner = nacl.box.open(
      b64urlToBytes(body.ciphertext), b64urlToBytes(body.nonce),
      b64urlToBytes(body.sender_box_pub), boxSecretKey);
    if (!inner) return null;
    const parsed = JSON.parse(new TextDecoder().decode(inner));
    const identity = identityFromBlob(nacl, parsed);
    if (!identity || (parsed.adopt_id && parsed.adopt_id !== body.adopt_id)) return null;
    return identity;
  } catch {
    return null;
  }
}
