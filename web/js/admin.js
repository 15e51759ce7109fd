// /admin: polls the relay's /metrics (Prometheus text) every few seconds and draws a few
// counters as SVG sparklines. The token lives in sessionStorage and travels only as a
// Bearer header.
import { $, el } from './dom.js';
import { familyTotal, parsePrometheus } from './prometheus.js';
import { rates, sparklinePath } from './sparkline.js';

const TOKEN_KEY = 'bot2bot:metrics-token';
const POLL_MS = 5000;
const KEEP = 60;
const SVG = 'http://www.w3.org/2000/svg';

// kind 'gauge' plots the value, 'rate' the per-second increase of a counter.
const CHARTS = [
  { id: 'rooms', title: 'Rooms in memory', metric: 'bot2bot_rooms', kind: 'gauge' },
  { id: 'ws', title: 'WebSocket connections', metric: 'bot2bot_connections{transport="ws"}', kind: 'gauge' },
  { id: 'sse', title: 'SSE connections', metric: 'bot2bot_connections{transport="sse"}', kind: 'gauge' },
  { id: 'messages', title: 'Messages / s', metric: 'bot2bot_messages_posted_total', kind: 'rate', family: true },
  { id: 'bytes', title: 'Ciphertext bytes / s', metric: 'bot2bot_bytes_relayed_total', kind: 'rate' },
  { id: 'buffered', title: 'Buffered bytes', metric: 'bot2bot_buffered_bytes', kind: 'gauge' },
  { id: 'limited', title: '429s / s', metric: 'bot2bot_rate_limited_total', kind: 'rate' },
];
const readings = new Map(CHARTS.map((c) => [c.id, []]));

function chartNode(c) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 240 48');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${c.title}, last ${KEEP} readings`);
  svg.append(document.createElementNS(SVG, 'path'));
  return el('section', { class: 'chart', id: `chart-${c.id}` },
    el('h2', { text: c.title }), el('p', { class: 'value', text: '–' }), svg);
}

function format(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function draw() {
  for (const c of CHARTS) {
    const r = readings.get(c.id);
    const values = c.kind === 'rate' ? rates(r) : r.map((x) => x.v);
    const node = $(`#chart-${c.id}`);
    node.querySelector('.value').textContent = values.length ? format(values[values.length - 1]) : '–';
    node.querySelector('path').setAttribute('d', sparklinePath(values, 240, 48));
  }
}

async function poll() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const status = $('#admin-status');
  try {
    const res = await fetch('/metrics', { cache: 'no-store', headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (res.status === 401) {
      status.textContent = 'The relay wants the metrics token.';
      return;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const samples = parsePrometheus(await res.text());
    const t = Date.now();
    for (const c of CHARTS) {
      const v = c.family ? familyTotal(samples, c.metric) : samples.get(c.metric);
      if (v === undefined) continue;
      const r = readings.get(c.id);
      r.push({ t, v });
      if (r.length > KEEP + 1) r.shift();
    }
    draw();
    status.textContent = `Updated ${new Date(t).toLocaleTimeString()}.`;
  } catch (e) {
    status.textContent = `Could not read /metrics: ${e.message}`;
  }
}

$('#charts').replaceChildren(...CHARTS.map(chartNode));
$('#token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('#token').value.trim();
  if (v) sessionStorage.setItem(TOKEN_KEY, v);
  $('#token').value = '';
  poll();
});
$('#forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  $('#admin-status').textContent = 'Token forgotten.';
});
poll();
setInterval(poll, POLL_MS);
