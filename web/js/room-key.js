// Room ids, keys, the URL fragment and the key fingerprint (CLIENT-PROTOCOL.md §1.1, §1.2).
import { b64urlToBytes, bytesToB64url, bytesToHex } from './b64.js';
import { randomBytes } from './random.js';

export const ROOM_ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const KEY_BYTES = 32;
const MESSAGE_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;

// Browser landing page ids: 10 chars, byte mod 32 over the alphabet (§1.1).
export function newRoomId(bytes = randomBytes(10)) {
  return Array.from(bytes, (b) => ROOM_ID_ALPHABET[b % 32]).join('');
}

export function newRoomKey(bytes = randomBytes(KEY_BYTES)) {
  if (bytes.length !== KEY_BYTES) throw new Error('a room key is 32 bytes');
  return bytesToB64url(bytes);
}

export function roomUrl(origin, roomId, key) {
  return `${origin}/room/${roomId}#k=${key}`;
}

// The page takes its room id from the path: /room/<id> with an optional trailing slash.
export function roomIdFromPath(pathname) {
  const m = /^\/room\/([A-Za-z0-9_-]+)\/?$/.exec(pathname);
  return m ? m[1] : null;
}

// `#k=…&m=…&signed=1` → ordered pairs plus the known names. Unknown pairs are kept so a
// rebuilt link (copy invite, permalink) preserves them.
export function parseFragment(hash) {
  const text = (hash || '').replace(/^#/, '');
  const pairs = [];
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    pairs.push(eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  const get = (name) => {
    const found = pairs.find(([n]) => n === name);
    return found ? found[1] : null;
  };
  const m = get('m');
  return {
    pairs,
    k: get('k'),
    m: m !== null && MESSAGE_ID_RE.test(m) ? m : null,
    signed: get('signed') === '1',
  };
}

// Rebuilds a fragment as k, then m, then the other pairs, unencoded (§1.1).
export function buildFragment(pairs, { m = null } = {}) {
  const k = pairs.find(([n]) => n === 'k');
  const out = [];
  if (k) out.push(`k=${k[1]}`);
  if (m) out.push(`m=${m}`);
  for (const [n, v] of pairs) {
    if (n === 'k' || n === 'm') continue;
    out.push(v === '' ? n : `${n}=${v}`);
  }
  return `#${out.join('&')}`;
}

export class RoomKeyError extends Error {}

// Decodes `k` (unpadded base64url, padding accepted); anything but 32 bytes is refused.
export function decodeRoomKey(k) {
  if (!k) throw new RoomKeyError('Missing room key (#k=…) in the link');
  let bytes;
  try {
    bytes = b64urlToBytes(k);
  } catch {
    throw new RoomKeyError('Invalid room key fragment');
  }
  if (bytes.length !== KEY_BYTES) throw new RoomKeyError('Invalid room key fragment');
  return bytes;
}

// SHA-256 of the raw key, first 16 hex digits, upper case, groups of 4 (§1.2).
export async function keyFingerprint(keyBytes, subtle = globalThis.crypto?.subtle) {
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', keyBytes));
  const hex = bytesToHex(digest.subarray(0, 8)).toUpperCase();
  return hex.match(/.{4}/g).join(' ');
}
