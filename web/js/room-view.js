// Drawing the room: message bubbles (sender, time, verified badge, reply preview, reactions,
// actions), the presence list and the reaction picker. State lives in RoomState; this file
// only turns it into DOM and reports clicks through `actions`.
import { el, timeLabel } from './dom.js';
import { REACTION_PRESETS, cleanEmoji } from './envelopes.js';
import { colourIndex, initials, mentions, presenceState } from './labels.js';
import { renderMarkdown } from './markdown.js';
import { preview } from './transcript.js';

export class RoomView {
  constructor({ list, state, getMe, actions }) {
    this.list = list;
    this.state = state;
    this.getMe = getMe;
    this.actions = actions;  // {reply(record), react(record, emoji, op), remove(record), link(record)}
    this.picker = null;
  }

  nodeFor(id) {
    return this.list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
  }

  nearBottom() {
    const s = this.list;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  // Inserts a record's bubble before the bubble of `beforeId` (seq order), or at the end.
  insert(record, beforeId) {
    const stick = this.nearBottom();
    const node = this.renderMessage(record);
    const before = beforeId ? this.nodeFor(beforeId) : null;
    if (before) this.list.insertBefore(node, before);
    else this.list.append(node);
    this.refreshRepliesTo(record.id);
    if (stick && !before) this.list.scrollTop = this.list.scrollHeight;
    return node;
  }

  remove(id) {
    this.nodeFor(id)?.remove();
    this.refreshRepliesTo(id);
  }

  // Previews pointing at `id` follow its state (shown, deleted, unknown).
  refreshRepliesTo(id) {
    for (const q of this.list.querySelectorAll(`[data-reply-to="${CSS.escape(id)}"]`)) {
      q.replaceWith(this.replyPreview(id));
    }
  }

  replyPreview(parentId) {
    const parent = this.state.records.get(parentId);
    const box = el('div', { class: 'reply-preview', 'data-reply-to': parentId });
    if (parent) {
      box.append(el('a', { href: `#msg-${parentId}`, class: 'reply-link', 'data-target': parentId },
        el('span', { class: 'reply-sender', text: `↪ ${parent.sender}` }), ' ', preview(parent)));
    } else if (this.state.tombstones.has(parentId)) {
      box.append(el('span', { class: 'muted', text: '↪ replying to a deleted message' }));
    } else {
      box.append(el('span', { class: 'muted', text: '↪ replying to an earlier message' }));
    }
    return box;
  }

  renderMessage(r) {
    const me = this.getMe();
    const mine = r.sender === me;
    const classes = ['msg'];
    if (mine) classes.push('mine');
    if (r.undecryptable) classes.push('undecryptable');
    if (!r.undecryptable && !mine && mentions(r.text, me)) classes.push('mentions-me');
    const meta = el('div', { class: 'msg-meta' },
      el('span', { class: `avatar c${colourIndex(r.sender)}`, 'aria-hidden': 'true', text: initials(r.sender) }),
      el('span', { class: 'sender', text: r.sender }),
      r.sender_verified ? el('span', { class: 'badge verified', title: 'Signed by a registered identity; verified by the relay', text: '✓ verified' }) : null,
      mine ? el('span', { class: 'you', text: '· you' }) : null,
      el('time', { datetime: new Date(r.ts).toISOString(), title: new Date(r.ts).toLocaleString(), text: timeLabel(r.ts) }));
    const body = el('div', { class: 'msg-body' });
    if (r.undecryptable) {
      body.textContent = 'Undecryptable message: wrong room key, or the ciphertext was tampered with.';
    } else {
      body.innerHTML = renderMarkdown(r.text);  // escaped by renderMarkdown
    }
    const node = el('li', { class: classes.join(' '), id: `msg-${r.id}`, 'data-id': r.id, 'data-seq': r.seq, tabindex: '-1' },
      meta,
      r.reply_to ? this.replyPreview(r.reply_to) : null,
      body,
      el('div', { class: 'reactions', 'aria-label': 'Reactions' }),
      this.renderActions(r));
    this.fillReactions(node, r.id);
    return node;
  }

  renderActions(r) {
    const bar = el('div', { class: 'msg-actions' });
    const button = (label, cls, onclick, aria) => el('button', { type: 'button', class: cls, 'aria-label': aria, onclick }, label);
    if (!r.undecryptable) {
      bar.append(
        button('Reply', 'act-reply', () => this.actions.reply(r), `Reply to ${r.sender}`),
        button('React', 'act-react', (e) => this.togglePicker(r, e.currentTarget), `React to the message from ${r.sender}`),
        button('Link', 'act-link', (e) => this.actions.link(r, e.currentTarget), 'Copy a link to this message'));
    }
    const del = button('Delete', 'act-delete', () => {
      if (del.dataset.armed) return this.actions.remove(r);
      del.dataset.armed = '1';
      del.textContent = 'Delete for everyone?';
      setTimeout(() => { delete del.dataset.armed; del.textContent = 'Delete'; }, 4000);
    }, 'Delete this message for everyone in the room');
    bar.append(del);
    return bar;
  }

  fillReactions(node, id) {
    const box = node.querySelector('.reactions');
    const me = this.getMe();
    box.replaceChildren(...this.state.reactions.list(id).map(({ emoji, actors, count }) => {
      const own = actors.includes(me);
      return el('button', {
        type: 'button', class: own ? 'reaction own' : 'reaction', title: actors.join(', '),
        'aria-pressed': own ? 'true' : 'false', 'aria-label': `${emoji} ${count}: ${actors.join(', ')}`,
        onclick: () => this.actions.react(this.state.records.get(id), emoji, own ? 'remove' : 'add'),
      }, el('span', { text: emoji }), el('span', { class: 'count', text: String(count) }));
    }));
  }

  updateReactions(id) {
    const node = this.nodeFor(id);
    if (node) this.fillReactions(node, id);
  }

  togglePicker(record, anchor) {
    const open = this.picker && this.picker.dataset.for === record.id;
    this.closePicker();
    if (open) return;
    const custom = el('input', { type: 'text', maxlength: '24', 'aria-label': 'Custom reaction', placeholder: 'other…', class: 'picker-custom' });
    const picker = el('div', { class: 'picker', role: 'group', 'aria-label': 'Pick a reaction', 'data-for': record.id },
      ...REACTION_PRESETS.map((e) => el('button', { type: 'button', class: 'picker-emoji', 'aria-label': `React ${e}`, onclick: () => { this.closePicker(); this.actions.react(record, e, 'add'); } }, e)),
      el('form', { class: 'picker-form', onsubmit: (ev) => {
        ev.preventDefault();
        const emoji = cleanEmoji(custom.value);
        if (emoji) { this.closePicker(); this.actions.react(record, emoji, 'add'); }
      } }, custom, el('button', { type: 'submit' }, 'Add')));
    picker.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { this.closePicker(); anchor.focus(); }
    });
    anchor.closest('li').append(picker);
    this.picker = picker;
    picker.querySelector('button').focus();
  }

  closePicker() {
    this.picker?.remove();
    this.picker = null;
  }

  flash(id) {
    const node = this.nodeFor(id);
    if (!node) return false;
    node.scrollIntoView({ block: 'center' });
    node.classList.add('flash');
    node.focus({ preventScroll: true });
    setTimeout(() => node.classList.remove('flash'), 2500);
    return true;
  }
}

// participants: [{name, box_pub?, last_seen_ms_ago}] as of `receivedAt`.
// `promote(participant)` is offered for anonymous participants with a presence box_pub (§3.6)
// when the viewer is signed in; pass null otherwise.
export function renderPresence(listNode, countNode, participants, receivedAt, me, promote = null) {
  const now = Date.now();
  const rows = participants.map((p) => {
    const age = (Number(p.last_seen_ms_ago) || 0) + (now - receivedAt);
    const state = presenceState(age);
    return el('li', { class: `person ${state}` },
      el('span', { class: `dot ${state}`, 'aria-hidden': 'true' }),
      el('span', { class: 'person-name', text: p.name }),
      p.name === me ? el('span', { class: 'you', text: '(you)' }) : null,
      el('span', { class: 'person-state', text: state }),
      promote && p.box_pub && p.name !== me && !p.name.startsWith('@')
        ? el('button', { type: 'button', class: 'promote', 'aria-label': `Give ${p.name} a signed identity`, onclick: () => promote(p) }, 'Promote')
        : null);
  });
  if (rows.length === 0) rows.push(el('li', { class: 'muted', text: 'Nobody else has joined yet.' }));
  listNode.replaceChildren(...rows);
  countNode.textContent = `(${participants.length})`;
}
