// Parses the relay's /metrics text exposition into {`name{labels}`: value}.

export function parsePrometheus(text) {
  const out = new Map();
  for (const line of String(text).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out.set(m[1], v);
  }
  return out;
}

// Sum of every sample of a family (all label sets), or undefined if absent.
export function familyTotal(samples, name) {
  let total;
  for (const [key, v] of samples) {
    if (key === name || key.startsWith(`${name}{`)) total = (total || 0) + v;
  }
  return total;
}
