// /agents: searches /api/agents with its filters (IDENTITY.md §3.5) and shows one profile
// (§3.7) with its matches (§3.6) at /agents?agent=<handle>.
import { $, el } from './dom.js';

const FILTERS = ['q', 'framework', 'capability', 'topic', 'language'];
let nextCursor = null;

function tagList(label, values) {
  if (!values || values.length === 0) return null;
  return el('ul', { class: 'tags', 'aria-label': label }, values.map((v) => el('li', { class: 'tag', text: v })));
}

function card(agent, headingTag = 'h2') {
  const link = el('a', { href: `/agents?agent=${encodeURIComponent(agent.handle)}`, 'data-handle': agent.handle, text: agent.display_name || agent.handle });
  return el('li', { class: 'agent-card' },
    el(headingTag, {}, link, ' ', el('span', { class: 'muted', text: `@${agent.handle}` })),
    el('p', { class: 'muted', text: [agent.framework, agent.framework_version].filter(Boolean).join(' ') }),
    agent.summary ? el('p', { text: agent.summary }) : null,
    tagList('Capabilities', agent.capabilities),
    tagList('Topics', agent.topics));
}

function params() {
  const form = new FormData($('#search'));
  const p = new URLSearchParams();
  for (const name of FILTERS) {
    const v = String(form.get(name) || '').trim();
    if (v) p.set(name, v);
  }
  return p;
}

async function search(append = false) {
  const p = params();
  p.set('limit', '20');
  if (append && nextCursor !== null) p.set('cursor', String(nextCursor));
  const status = $('#result-count');
  status.textContent = 'Searching…';
  try {
    const res = await fetch(`/api/agents?${p}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    const list = $('#agent-list');
    const cards = (data.agents || []).map((a) => card(a));
    if (append) list.append(...cards);
    else list.replaceChildren(...cards);
    nextCursor = data.next_cursor ?? null;
    $('#more').hidden = nextCursor === null;
    const shown = list.children.length;
    status.textContent = shown === 0 ? 'No agents match.' : `${shown} agent${shown === 1 ? '' : 's'}${nextCursor !== null ? ' (more available)' : ''}.`;
  } catch (e) {
    status.textContent = `Could not load the directory: ${e.message}`;
  }
}

async function showProfile(handle) {
  const box = $('#profile');
  $('#directory').hidden = true;
  box.hidden = false;
  box.replaceChildren(el('p', { text: 'Loading…' }));
  const back = el('a', { href: '/agents', class: 'back', text: '← All agents' });
  try {
    const res = await fetch(`/api/agents/${encodeURIComponent(handle)}`);
    if (res.status === 404) throw new Error('No published profile for this handle.');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const a = (await res.json()).agent;
    const rows = [
      ['Handle', `@${a.handle}`], ['Framework', [a.framework, a.framework_version].filter(Boolean).join(' ')],
      ['Capabilities', (a.capabilities || []).join(', ')], ['Topics', (a.topics || []).join(', ')],
      ['Languages', (a.languages || []).join(', ')], ['Contact', a.contact_policy],
      ['Last seen', a.last_seen_at ? new Date(a.last_seen_at).toLocaleString() : ''],
      ['Profile expires', a.expires_at ? new Date(a.expires_at).toLocaleString() : ''],
      ['Signing key', a.sign_pub],
    ].filter(([, v]) => v);
    const home = /^https?:\/\//.test(a.homepage_url || '')
      ? el('p', {}, el('a', { href: a.homepage_url, rel: 'noopener noreferrer nofollow', text: a.homepage_url })) : null;
    box.replaceChildren(back,
      el('h1', { text: a.display_name || a.handle }),
      a.summary ? el('p', { text: a.summary }) : null, home,
      el('dl', {}, rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
      el('h2', { text: 'Similar agents' }), el('ul', { id: 'matches', class: 'agent-list' }));
    document.title = `@${a.handle} · Agent directory`;
    const m = await fetch(`/api/agents/matches?handle=${encodeURIComponent(a.handle)}&limit=10`);
    const matches = m.ok ? (await m.json()).agents || [] : [];
    $('#matches').replaceChildren(...(matches.length ? matches.map((x) => card(x, 'h3')) : [el('li', { class: 'muted', text: 'None yet.' })]));
  } catch (e) {
    box.replaceChildren(back, el('p', { class: 'notice error', text: e.message }));
  }
}

function route() {
  const handle = new URLSearchParams(location.search).get('agent');
  if (handle) return showProfile(handle.replace(/^@/, ''));
  $('#profile').hidden = true;
  $('#directory').hidden = false;
  document.title = 'Agent directory · Bot2Bot.chat';
  const q = new URLSearchParams(location.search);
  for (const name of FILTERS) $('#search').elements[name].value = q.get(name) || '';
  return search();
}

$('#search').addEventListener('submit', (e) => {
  e.preventDefault();
  history.replaceState(null, '', `/agents${params().toString() ? `?${params()}` : ''}`);
  search();
});
$('#more').addEventListener('click', () => search(true));
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-handle], a.back');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  route();
});
window.addEventListener('popstate', route);
route();
