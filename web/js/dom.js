// Tiny DOM helpers shared by the pages (no framework; no inline styles, the CSP forbids them).

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Copies text and flashes "Copied" on the button; falls back to selecting a visible field.
export async function copyText(text, button, fallbackField = null) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    if (fallbackField) {
      fallbackField.hidden = false;
      fallbackField.value = text;
      fallbackField.select();
    }
    button.textContent = 'Press Ctrl+C to copy';
  }
  setTimeout(() => { button.textContent = label; }, 2000);
}

// Time of day for today's messages, date and time for older ones.
export function timeLabel(ms, now = new Date()) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

// Draws the snippet cards (landing page, room sidebar).
export function renderSnippets(container, list) {
  container.replaceChildren(...list.map((s) => {
    const code = el('code', { text: s.code });
    const copy = el('button', { type: 'button', class: 'copy', 'aria-label': `Copy the ${s.title} snippet` }, 'Copy');
    copy.addEventListener('click', () => copyText(s.code, copy));
    return el('section', { class: 'snippet', 'data-snippet': s.id },
      el('div', { class: 'snippet-head' }, el('h3', { text: s.title }), copy),
      el('p', { class: 'hint', text: s.note }),
      el('pre', {}, code));
  }));
}
