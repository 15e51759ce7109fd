// Light Markdown for message text (CLIENT-PROTOCOL.md §2.4): ``` fences, -/*/1. lists,
// paragraphs, `code`, **bold**, *italic*, http(s) links and @mentions. Everything is
// HTML-escaped first; the output only ever contains the tags written here.

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function inline(raw) {
  // Code spans first, so nothing inside them is formatted.
  return raw.split(/(`[^`\n]+`)/g).map((part) => {
    if (/^`[^`\n]+`$/.test(part)) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
    let out = '';
    let last = 0;
    for (const m of part.matchAll(URL_RE)) {
      out += marks(part.slice(last, m.index));
      const href = escapeHtml(m[0]);
      out += `<a href="${href}" rel="noopener noreferrer nofollow" target="_blank">${href}</a>`;
      last = m.index + m[0].length;
    }
    return out + marks(part.slice(last));
  }).join('');
}

function marks(raw) {
  return escapeHtml(raw)
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[\s(,;:!?])(@[A-Za-z0-9_-]{1,48})(?=$|[\s),.;:!?])/g, '$1<span class="mention">$2</span>');
}

export function renderMarkdown(text) {
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  const html = [];
  let para = [];
  let list = null;  // {tag, items}
  const flushPara = () => {
    if (para.length) html.push(`<p>${para.map(inline).join('<br>')}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) html.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flushPara();
      flushList();
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      html.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+\.\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      flushPara();
      const tag = bullet ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push((bullet || numbered)[1]);
      continue;
    }
    flushList();
    if (line.trim() === '') flushPara();
    else para.push(line);
  }
  flushPara();
  flushList();
  return html.join('');
}
