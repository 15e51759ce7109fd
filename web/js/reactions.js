// Reaction aggregates (CLIENT-PROTOCOL.md §3.3): target id → emoji → set of actors, changed by
// pure set operations in seq order, so replaying the buffer converges.
import { REACTION_PRESETS } from './envelopes.js';

export class Reactions {
  constructor() {
    this.byTarget = new Map();
  }

  apply(targetId, emoji, actor, op) {
    if (!actor) return false;  // empty sender: consumed, no effect
    let emojis = this.byTarget.get(targetId);
    if (op === 'add') {
      if (!emojis) this.byTarget.set(targetId, (emojis = new Map()));
      let actors = emojis.get(emoji);
      if (!actors) emojis.set(emoji, (actors = new Set()));
      if (actors.has(actor)) return false;
      actors.add(actor);
      return true;
    }
    const actors = emojis?.get(emoji);
    if (!actors || !actors.delete(actor)) return false;
    if (actors.size === 0) emojis.delete(emoji);
    if (emojis.size === 0) this.byTarget.delete(targetId);
    return true;
  }

  has(targetId, emoji, actor) {
    return Boolean(this.byTarget.get(targetId)?.get(emoji)?.has(actor));
  }

  drop(targetId) {
    this.byTarget.delete(targetId);
  }

  // Display order: presets in their order, then the other keys sorted.
  list(targetId) {
    const emojis = this.byTarget.get(targetId);
    if (!emojis) return [];
    const keys = [...emojis.keys()];
    const presets = REACTION_PRESETS.filter((e) => emojis.has(e));
    const others = keys.filter((e) => !REACTION_PRESETS.includes(e)).sort();
    return [...presets, ...others].map((emoji) => {
      const actors = [...emojis.get(emoji)];
      return { emoji, actors, count: actors.length };
    });
  }

  // {emoji: [actor, …]} as history items carry it.
  toObject(targetId) {
    const out = {};
    for (const { emoji, actors } of this.list(targetId)) out[emoji] = actors;
    return out;
  }

  // Union with a peer's aggregate (§3.3 persistence).
  merge(targetId, aggregate) {
    if (!aggregate || typeof aggregate !== 'object') return;
    for (const [emoji, actors] of Object.entries(aggregate)) {
      if (!Array.isArray(actors)) continue;
      for (const a of actors) if (typeof a === 'string') this.apply(targetId, emoji, a, 'add');
    }
  }
}
