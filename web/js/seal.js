// Sealing and opening room messages (CLIENT-PROTOCOL.md §1.3, §1.4) with NaCl secretbox.
// `nacl` is tweetnacl: window.nacl in the page (served as /vendor/tweetnacl.js), the npm
// module in node tests.
import { b64ToBytes, bytesToB64, utf8DecodeStrict, utf8Encode } from './b64.js';

export const MAX_COMPOSER_BYTES = 60 * 1024;

export function seal(nacl, key, text) {
  const nonce = nacl.randomBytes(nacl.secretbox.nonceLength);
  const box = nacl.secretbox(utf8Encode(text), nonce, key);
  return { ciphertext: bytesToB64(box), nonce: bytesToB64(nonce) };
}

// The plaintext, or null when anything fails (bad base64, bad MAC, invalid UTF-8):
// undecryptable is never an error.
export function open(nacl, key, ciphertext, nonce) {
  try {
    const n = b64ToBytes(nonce);
    if (n.length !== nacl.secretbox.nonceLength) return null;
    const plain = nacl.secretbox.open(b64ToBytes(ciphertext), n, key);
    return plain ? utf8DecodeStrict(plain) : null;
  } catch {
    return null;
  }
}
