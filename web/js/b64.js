// Base64 in the two alphabets the protocol uses (CLIENT-PROTOCOL.md §1): standard padded for
// ciphertext and nonces (peers decode with atob), unpadded base64url for keys and box_pub.

const CHUNK = 0x8000;

export function bytesToB64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

// Throws on characters outside the standard alphabet (atob is the judge).
export function b64ToBytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64url(bytes) {
  return bytesToB64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Accepts padded or unpadded, standard or URL alphabet (§3.6 "decoders accept").
export function b64urlToBytes(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) {
    throw new Error('not base64');
  }
  let std = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) throw new Error('not base64');
  while (std.length % 4) std += '=';
  return b64ToBytes(std);
}

export function utf8Encode(text) {
  return new TextEncoder().encode(text);
}

// Strict: invalid UTF-8 throws, so a corrupted plaintext counts as undecryptable (§1.4).
export function utf8DecodeStrict(bytes) {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
