// Peer history responses (CLIENT-PROTOCOL.md §3.5): at most 15 items and about 15 KiB per
// chunk, at most 21 chunks, the newest 2000 tombstones on chunk 0.
import { histRespText } from './envelopes.js';

export const LIMITS = { items: 15, units: 15 * 1024, chunks: 21, deleted: 2000 };
// Ours answers only requests younger than this (the reference re-answered stale ones).
export const ANSWER_WINDOW_MS = 30000;
export const PENDING_MS = 8000;

const itemUnits = (item) => item.text.length + String(item.sender).length + 80;

// Chunk texts ready to seal. An item over the budget on its own is skipped.
export function historyChunks(reqId, items, deletedIds, limits = LIMITS) {
  const deleted = deletedIds.slice(-limits.deleted);
  const chunks = [];
  let i = 0;
  while (chunks.length < limits.chunks) {
    const batch = [];
    let units = 0;
    while (i < items.length && batch.length < limits.items) {
      const u = itemUnits(items[i]);
      if (u > limits.units) {
        i++;
        continue;
      }
      if (units + u > limits.units) break;
      batch.push(items[i++]);
      units += u;
    }
    const first = chunks.length === 0;
    if (batch.length === 0 && !(first && deleted.length)) break;
    chunks.push(histRespText(reqId, batch, chunks.length, first ? deleted : null));
    if (i >= items.length) break;
  }
  return chunks;
}
