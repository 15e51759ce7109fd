// What the room page knows, independent of the DOM: decrypted records in seq order, the
// ids already seen (replay on every reconnect must not duplicate anything), tombstones and
// reaction aggregates. `ingest` applies one relay `message` event plus its plaintext and
// says what happened, so the view only draws.
import {
  ADOPT, DELETE, HIST_REQ, HIST_RESP, REACT, detectEnvelope, parseDelete, parseReaction,
} from './envelopes.js';
import { Reactions } from './reactions.js';

export const MAX_TOMBSTONES = 5000;
export const TOMBSTONE_DAYS = 30;

export class RoomState {
  constructor({ me = '', now = () => Date.now(), tombstones = [] } = {}) {
    this.me = me;
    this.now = now;
    this.records = new Map();   // id → record
    this.order = [];            // records sorted by seq
    this.seen = new Set();      // every message id met, envelopes included
    this.reactions = new Reactions();
    this.tombstones = new Map();  // id → ts
    for (const t of tombstones) {
      if (t && typeof t.id === 'string') this.tombstones.set(t.id, Number(t.ts) || 0);
    }
  }

  isDead(id) {
    if (this.tombstones.has(id)) return true;
    const r = this.records.get(id);
    return Boolean(r && this.isExpired(r));
  }

  isExpired(r) {
    return typeof r.ttl_ms === 'number' && r.ttl_ms > 0 && r.ts + r.ttl_ms <= this.now();
  }

  // `event` is the relay's message frame; `text` the plaintext or null (undecryptable).
  ingest(event, text) {
    const id = String(event.id || '');
    if (!id || this.seen.has(id)) return { kind: 'duplicate', id };
    this.seen.add(id);
    const sender = typeof event.sender === 'string' ? event.sender : '';
    const verified = event.sender_verified === true;
    const env = text === null ? null : detectEnvelope(text);
    if (env) return this.applyEnvelope(env, { id, sender, verified, ts: event.ts, seq: event.seq });

    const record = {
      seq: Number(event.seq) || 0,
      id,
      sender: sender || 'agent',
      sender_verified: verified,
      ts: Number(event.ts) || 0,
      text,
      undecryptable: text === null,
    };
    if (typeof event.ttl_ms === 'number' && event.ttl_ms > 0) record.ttl_ms = event.ttl_ms;
    if (typeof event.reply_to === 'string' && event.reply_to) record.reply_to = event.reply_to;
    if (this.tombstones.has(id)) return { kind: 'hidden', id };
    if (this.isExpired(record)) {
      this.tombstone(id);
      return { kind: 'hidden', id };
    }
    return { kind: 'message', record, before: this.insert(record) };
  }

  applyEnvelope({ marker, body }, outer) {
    const base = { id: outer.id, sender: outer.sender, verified: outer.verified, ts: outer.ts };
    switch (marker) {
      case REACT: {
        const r = parseReaction(body);
        if (!r || this.isDead(r.targetId)) return { kind: 'consumed', ...base };
        const changed = this.reactions.apply(r.targetId, r.emoji, outer.sender, r.op);
        return { kind: 'react', targetId: r.targetId, changed, ...base };
      }
      case DELETE: {
        const d = parseDelete(body);
        if (!d) return { kind: 'consumed', ...base };
        this.remove(d.targetId);
        return { kind: 'delete', targetId: d.targetId, ...base };
      }
      case HIST_REQ:
        return {
          kind: 'hist_req',
          reqId: typeof body.req_id === 'string' ? body.req_id : null,
          after: typeof body.after === 'number' ? body.after : 0,
          fromSelf: outer.sender === this.me,
          ...base,
        };
      case HIST_RESP:
        return { kind: 'hist_resp', body, ...base };
      case ADOPT:
        return { kind: 'adopt', body, ...base };
      default:
        return { kind: 'consumed', ...base };
    }
  }

  // Inserts by seq; returns the id of the record it now precedes, or null when last.
  insert(record) {
    this.records.set(record.id, record);
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.order[mid].seq <= record.seq) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, record);
    return lo + 1 < this.order.length ? this.order[lo + 1].id : null;
  }

  tombstone(id) {
    this.tombstones.delete(id);
    this.tombstones.set(id, this.now());
    while (this.tombstones.size > MAX_TOMBSTONES) {
      this.tombstones.delete(this.tombstones.keys().next().value);
    }
  }

  // Delete (any sender, idempotent): tombstone, forget the record and its reactions.
  remove(id) {
    this.tombstone(id);
    this.reactions.drop(id);
    const r = this.records.get(id);
    if (!r) return false;
    this.records.delete(id);
    this.order.splice(this.order.indexOf(r), 1);
    return true;
  }

  // Ids whose ttl ran out since the last call; they become tombstones.
  expire() {
    const gone = this.order.filter((r) => this.isExpired(r)).map((r) => r.id);
    for (const id of gone) this.remove(id);
    return gone;
  }

  tombstoneList() {
    const cutoff = this.now() - TOMBSTONE_DAYS * 86400000;
    return [...this.tombstones].filter(([, ts]) => ts >= cutoff).map(([id, ts]) => ({ id, ts }));
  }

  // Records a peer may receive in a history response (§3.5): decrypted, alive, seq > after.
  historyItems(after = 0) {
    return this.order
      .filter((r) => !r.undecryptable && r.seq > after && !this.isExpired(r))
      .map((r) => {
        const item = {
          seq: r.seq, id: r.id, sender: r.sender, sender_verified: r.sender_verified, ts: r.ts,
          text: r.text,
        };
        if (r.ttl_ms) item.ttl_ms = r.ttl_ms;
        if (r.reply_to) item.reply_to = r.reply_to;
        const reactions = this.reactions.toObject(r.id);
        if (Object.keys(reactions).length) item.reactions = reactions;
        return item;
      });
  }

  // A verified peer's history chunk: deletes first, then items not seen yet, inserted by seq.
  // Returns the inserted records with the id each now precedes.
  mergeHistory(body) {
    if (Array.isArray(body.deleted)) {
      for (const id of body.deleted) if (typeof id === 'string') this.remove(id);
    }
    const added = [];
    for (const item of Array.isArray(body.items) ? body.items : []) {
      if (!item || typeof item.id !== 'string' || typeof item.text !== 'string') continue;
      if (typeof item.seq !== 'number' || this.tombstones.has(item.id)) continue;
      if (detectEnvelope(item.text)) continue;
      if (this.seen.has(item.id)) {
        if (this.records.has(item.id)) this.reactions.merge(item.id, item.reactions);
        continue;
      }
      const record = {
        seq: item.seq, id: item.id, sender: String(item.sender || 'agent'),
        sender_verified: item.sender_verified === true, ts: Number(item.ts) || 0,
        text: item.text, undecryptable: false,
      };
      if (typeof item.ttl_ms === 'number' && item.ttl_ms > 0) record.ttl_ms = item.ttl_ms;
      if (typeof item.reply_to === 'string' && item.reply_to) record.reply_to = item.reply_to;
      if (this.isExpired(record)) continue;
      this.seen.add(item.id);
      this.reactions.merge(item.id, item.reactions);
      added.push({ record, before: this.insert(record) });
    }
    return added;
  }
}
