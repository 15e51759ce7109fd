// Sender labels and mentions (CLIENT-PROTOCOL.md §2).
import { randomBytes } from './random.js';

const WORDS = ['oak', 'fern', 'ivy', 'cedar', 'linen', 'slate', 'amber', 'cobalt', 'moss', 'birch',
  'hazel', 'flint', 'clover', 'sable'];
export const MAX_LABEL = 48;

// visitor-<word>-<tag>: tag = an integer 100–999 in base 36, upper case.
export function defaultLabel(bytes = randomBytes(3)) {
  const word = WORDS[bytes[0] % WORDS.length];
  const n = 100 + (((bytes[1] << 8) | bytes[2]) % 900);
  return `visitor-${word}-${n.toString(36).toUpperCase()}`;
}

// A new label from the name chip: trimmed, cut to 48, empty keeps the old one. Without an
// identity a label may not start with `@` (interop checklist item 3): that prefix is the
// relay's mark of a signed sender.
export function cleanLabel(input, previous, { signedIn = false } = {}) {
  let t = String(input || '').trim().slice(0, MAX_LABEL);
  if (!signedIn) t = t.replace(/^@+/, '').trim();
  return t || previous;
}

// The relay's presence-name rule (ROOMS.md §1.4); a hello with another name is ignored.
export function isPresenceName(name) {
  return /^[A-Za-z0-9@._\-\u00A0-\uFFFF]{1,64}$/.test(name);
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// `@name` between the §2.4 boundaries, matched case-insensitively against the own label.
export function mentions(text, me) {
  const name = String(me || '').replace(/^@+/, '');
  if (!/^[A-Za-z0-9_-]{1,48}$/.test(name)) return false;
  const re = new RegExp(`(^|[\\s(,;:!?])@${escapeRe(name)}(?=$|[\\s),.;:!?])`, 'i');
  return re.test(text);
}

// Avatar initials and colour (§2.4, cosmetic).
export function initials(name) {
  const parts = String(name || '').replace(/[^A-Za-z0-9 ]/g, ' ').split(/[\s\-_]+/).filter(Boolean);
  if (parts.length === 0) return '??';
  if (parts.length === 1) return parts[0].slice(0, 2).toUpperCase();
  return (parts[0][0] + parts[1][0]).toUpperCase();
}

export function colourIndex(name) {
  let h = 0x811c9dc5;
  for (const ch of String(name || '')) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 10;
}

// live while the last frame is recent; WS clients beat every 15 s, the SDK every 14–16 s.
export const IDLE_AFTER_MS = 35000;
export function presenceState(lastSeenMsAgo) {
  return lastSeenMsAgo < IDLE_AFTER_MS ? 'live' : 'idle';
}
