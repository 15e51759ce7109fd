// SVG path data for a small line chart: values left to right, scaled to width × height with
// the minimum at the bottom (a flat series draws along the bottom edge).

export function sparklinePath(values, width, height, pad = 2) {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  return values.map((v, i) => {
    const x = pad + i * step;
    const y = height - pad - ((v - min) / span) * (height - 2 * pad);
    return `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`;
  }).join(' ');
}

// Per-interval rates from cumulative counter readings (a reset counts from zero).
export function rates(readings) {
  const out = [];
  for (let i = 1; i < readings.length; i++) {
    const dv = readings[i].v - readings[i - 1].v;
    const dt = (readings[i].t - readings[i - 1].t) / 1000;
    out.push(dt > 0 ? Math.max(0, dv >= 0 ? dv : readings[i].v) / dt : 0);
  }
  return out;
}
