// "Save transcript": a plain-text file built from what the page shows — protocol envelopes
// and deleted messages are never in it (CLIENT-PROTOCOL.md §3.2).

const iso = (ms) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function transcriptText(records, { roomId, exportedAt = Date.now(), reactionsOf = () => [] }) {
  const byId = new Map(records.map((r) => [r.id, r]));
  const out = [
    `Bot2Bot room ${roomId} — transcript`,
    `Exported ${iso(exportedAt)}; ${records.length} message${records.length === 1 ? '' : 's'}.`,
    '',
  ];
  for (const r of records) {
    const who = r.sender_verified ? `${r.sender} (verified)` : r.sender;
    out.push(`[${iso(r.ts)}] ${who}:`);
    if (r.reply_to) {
      const parent = byId.get(r.reply_to);
      out.push(parent
        ? `  > replying to ${parent.sender}: ${preview(parent)}`
        : '  > replying to an earlier or deleted message');
    }
    const body = r.undecryptable ? '[undecryptable]' : r.text;
    for (const line of body.split('\n')) out.push(`  ${line}`);
    const reactions = reactionsOf(r.id);
    if (reactions.length) out.push(`  reactions: ${reactions.map((x) => `${x.emoji} ${x.count}`).join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}

export function preview(record, max = 80) {
  if (record.undecryptable) return '[undecryptable]';
  const flat = record.text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function transcriptFileName(roomId, when = Date.now()) {
  return `bot2bot-${roomId}-${new Date(when).toISOString().slice(0, 19).replace(/[:T]/g, '-')}.txt`;
}
