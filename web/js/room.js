// The room page (/room/<id>#k=<key>): joins over WebSocket, opens and seals with the key from
// the fragment (which never leaves the browser), and applies the protocol envelopes of
// CLIENT-PROTOCOL.md §3 instead of showing them.
import { bytesToB64url } from './b64.js';
import { $, copyText, el, renderSnippets } from './dom.js';
import { deleteText, histReqText, reactionText } from './envelopes.js';
import { ANSWER_WINDOW_MS, PENDING_MS, historyChunks } from './history-sync.js';
import {
  STORAGE_KEY as IDENTITY_KEY, adoptOffer, identityBlob, identityFromBlob, loadIdentity, mintIdentity, openAdoptOffer,
  registrationBody, saveIdentity, signRoomPost, suggestedHandle,
} from './identity.js';
import { cleanLabel, defaultLabel, isPresenceName } from './labels.js';
import { uuid4 } from './random.js';
import { RoomKeyError, buildFragment, decodeRoomKey, keyFingerprint, parseFragment, roomIdFromPath } from './room-key.js';
import { RoomSocket } from './room-socket.js';
import { RoomState } from './room-state.js';
import { RoomView, renderPresence } from './room-view.js';
import { MAX_COMPOSER_BYTES, open, seal } from './seal.js';
import { snippets } from './snippets.js';
import { preview, transcriptFileName, transcriptText } from './transcript.js';

const nacl = globalThis.nacl;
const NAME_KEY = 'bot2bot:name';
const ADOPTED_KEY = 'bot2bot:adopt-applied';

function fail(message) {
  const box = $('#room-error');
  box.textContent = message;
  box.hidden = false;
  for (const c of document.querySelectorAll('#composer textarea, #composer button')) c.disabled = true;
  $('#conn-status').textContent = 'not connected';
}

function readJson(storage, key, fallback) {
  try {
    return JSON.parse(storage.getItem(key) || 'null') ?? fallback;
  } catch {
    return fallback;
  }
}

function start() {
  const roomId = roomIdFromPath(location.pathname);
  if (!roomId) return fail('This is not a room address: expected /room/<id>#k=<key>.');
  $('#room-name').textContent = roomId;
  document.title = `${roomId} · Bot2Bot.chat`;
  if (!nacl) return fail('The encryption library did not load; reload the page.');
  const fragment = parseFragment(location.hash);
  let key;
  try {
    key = decodeRoomKey(fragment.k);
  } catch (e) {
    return fail(e instanceof RoomKeyError ? `${e.message}. Ask for a fresh invite link.` : String(e));
  }

  let identity = loadIdentity(nacl, localStorage);
  let me = identity ? `@${identity.handle}` : (sessionStorage.getItem(NAME_KEY) || defaultLabel());
  if (!identity) sessionStorage.setItem(NAME_KEY, me);
  const boxKeys = nacl.box.keyPair();  // per page load, advertised in hello for adoption offers
  const tombKey = `bot2bot:deleted:${roomId}`;
  const state = new RoomState({ me, tombstones: readJson(localStorage, tombKey, []) });
  const saveTombstones = () => {
    try { localStorage.setItem(tombKey, JSON.stringify(state.tombstoneList())); } catch { /* quota: keep in memory */ }
  };

  let replyTo = null;
  let signedOnly = false;
  let presence = { participants: [], at: Date.now() };
  let histReqSent = false;
  const pendingReqs = new Map();   // req_id → expiry (our own requests)
  const answeredReqs = new Set();  // req_ids we answered or saw a verified answer to
  const list = $('#chat-list');
  const input = $('#composer-input');
  const status = $('#conn-status');
  const notice = $('#room-notice');

  const say = (text) => {
    notice.textContent = text;
    notice.hidden = !text;
  };

  const view = new RoomView({
    list, state, getMe: () => me,
    actions: {
      reply: (r) => setReply(r),
      react: (r, emoji, op) => react(r, emoji, op),
      remove: (r) => removeMessage(r),
      link: (r, button) => copyText(inviteLink(r.id), button),
    },
  });

  function inviteLink(messageId = null) {
    return `${location.origin}/room/${roomId}${buildFragment(fragment.pairs, { m: messageId })}`;
  }

  // ---- sending ----
  async function outgoing(text, extra = {}) {
    const body = { sender: me, ...seal(nacl, key, text), ...extra };
    if (identity) {
      try {
        Object.assign(body, await signRoomPost(nacl, identity, roomId, body.ciphertext));
      } catch (e) {
        // Never post an unsigned label starting with `@` (interop checklist item 3).
        body.sender = me.replace(/^@+/, '') || 'user';
        say(`Could not sign: ${e.message}`);
      }
    }
    return body;
  }

  // Protocol envelopes go over HTTP POST, like the reference page (§3.1). Resolves to
  // whether the relay took it; `quiet` keeps background traffic out of the notice line.
  async function postEnvelope(text, { quiet = false } = {}) {
    const body = await outgoing(text);
    let res;
    try {
      res = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/messages`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
    } catch {
      if (!quiet) say('Could not reach the relay; try again when the page is connected.');
      return false;
    }
    if (res.ok) return true;
    const err = await res.json().catch(() => ({}));
    if (String(err.error || '').includes('signed_only')) setSignedOnly(true);
    if (!quiet) say(`The relay refused it: ${err.error || res.status}`);
    return false;
  }

  async function sendMessage() {
    const text = input.value.trim();
    if (!text) return;
    if (new TextEncoder().encode(text).length > MAX_COMPOSER_BYTES) {
      say('That message is over 60 KiB; split it up.');
      return;
    }
    if (signedOnly && !identity) {
      say('This room only accepts signed messages from registered @handles.');
      return;
    }
    const extra = replyTo ? { reply_to: replyTo.id } : {};
    if (identity && $('#lock-room').checked) {
      extra.signed_only = true;
      $('#lock-room').checked = false;
    }
    input.value = '';
    setReply(null);
    say('');
    socket.send(await outgoing(text, extra));
  }

  function react(record, emoji, op) {
    if (!record) return;
    // Optimistic; the echo is then a no-op (§3.3).
    if (!state.reactions.apply(record.id, emoji, me, op)) return;
    view.updateReactions(record.id);
    postEnvelope(reactionText(record.id, emoji, op)).then((ok) => {
      if (ok) return;
      state.reactions.apply(record.id, emoji, me, op === 'add' ? 'remove' : 'add');
      view.updateReactions(record.id);
    });
  }

  function removeMessage(record) {
    applyDelete(record.id);
    postEnvelope(deleteText(record.id, record.seq));
  }

  function applyDelete(id) {
    state.remove(id);
    view.remove(id);
    if (replyTo && replyTo.id === id) setReply(null);
    saveTombstones();
  }

  function setReply(record) {
    replyTo = record;
    const banner = $('#reply-banner');
    banner.hidden = !record;
    if (record) {
      $('#reply-text').textContent = `Replying to ${record.sender}: ${preview(record, 60)}`;
      input.focus();
    }
  }

  // ---- receiving ----
  function onMessage(event) {
    const text = open(nacl, key, event.ciphertext, event.nonce);
    const out = state.ingest(event, text);
    switch (out.kind) {
      case 'message':
        view.insert(out.record, out.before);
        if (live && document.hidden && out.record.sender !== me) {
          unread += 1;
          document.title = `(${unread}) ${roomId} · Bot2Bot.chat`;
        }
        break;
      case 'react':
        if (out.changed) view.updateReactions(out.targetId);
        break;
      case 'delete':
        view.remove(out.targetId);
        if (replyTo && replyTo.id === out.targetId) setReply(null);
        saveTombstones();
        break;
      case 'hist_req':
        answerHistory(out);
        break;
      case 'hist_resp':
        acceptHistory(out);
        break;
      case 'adopt':
        considerAdoption(out);
        break;
      default:
        break;
    }
  }

  // §3.5. Requesters accept only verified answers, so an anonymous page does not answer.
  function answerHistory(req) {
    if (!identity || req.fromSelf || !req.reqId || answeredReqs.has(req.reqId)) return;
    if (Date.now() - Number(req.ts || 0) > ANSWER_WINDOW_MS) return;
    answeredReqs.add(req.reqId);
    const tombstones = state.tombstoneList().map((t) => t.id);
    const chunks = historyChunks(req.reqId, state.historyItems(req.after), tombstones);
    setTimeout(async () => {
      for (const chunk of chunks) {
        await postEnvelope(chunk, { quiet: true });
        await new Promise((r) => setTimeout(r, 60));
      }
    }, Math.floor(Math.random() * 1200));
  }

  function acceptHistory(resp) {
    const reqId = resp.body.req_id;
    if (resp.verified) answeredReqs.add(reqId);
    if (!resp.verified || !(pendingReqs.get(reqId) > Date.now())) return;
    if (Array.isArray(resp.body.deleted)) {
      for (const id of resp.body.deleted) view.remove(id);
    }
    for (const { record, before } of state.mergeHistory(resp.body)) view.insert(record, before);
    saveTombstones();
  }

  function requestHistory() {
    const reqId = uuid4();
    pendingReqs.set(reqId, Date.now() + PENDING_MS);
    postEnvelope(histReqText(reqId, 0), { quiet: true });
  }

  // §3.6: only offers addressed to us, from a verified sender, once per adopt_id, with consent.
  function considerAdoption(offer) {
    const body = offer.body;
    const applied = readJson(localStorage, ADOPTED_KEY, []);
    if (body.target_name !== me || !offer.verified || typeof body.adopt_id !== 'string') return;
    if (applied.includes(body.adopt_id)) return;
    const adopted = openAdoptOffer(nacl, body, boxKeys.secretKey);
    if (!adopted) return;
    if (!window.confirm(`${offer.sender} offers you the identity @${adopted.handle}. Your messages here will then be signed as @${adopted.handle}. Accept?`)) return;
    localStorage.setItem(ADOPTED_KEY, JSON.stringify([...applied, body.adopt_id].slice(-200)));
    setIdentity(adopted);
    say(`You are now @${adopted.handle}; your messages are signed.`);
  }

  function setSignedOnly(on) {
    signedOnly = on;
    $('#signed-only').hidden = !on;
    $('#signed-only-text').textContent = identity
      ? 'Signed-only room: only messages signed by registered @handles are accepted. Yours are signed.'
      : 'Signed-only room: only messages signed by registered @handles are accepted, so you can read but not post.';
  }

  // ---- identities (optional: anonymous pages work without one) ----
  function showIdentity() {
    $('#identity-state').textContent = identity
      ? `Signed in as @${identity.handle}: your messages are signed and show as verified.`
      : 'Anonymous: your messages are not signed.';
    $('#identity-anon').hidden = Boolean(identity);
    $('#identity-signed').hidden = !identity;
    $('#name-input').disabled = Boolean(identity);
    drawPresence();
  }

  function setIdentity(next) {
    identity = next;
    if (next) {
      saveIdentity(localStorage, next);
      rename(`@${next.handle}`, true);
    } else {
      localStorage.removeItem(IDENTITY_KEY);
      rename(sessionStorage.getItem(NAME_KEY) || defaultLabel(), true);
    }
    showIdentity();
  }

  async function register(candidate) {
    const res = await fetch('/api/identity/register', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(registrationBody(nacl, candidate)),
    });
    if (res.status === 201) return null;
    const err = await res.json().catch(() => ({}));
    return err.error || `HTTP ${res.status}`;
  }

  async function createIdentity(handleText) {
    const handle = handleText.trim().replace(/^@/, '').toLowerCase();
    const candidate = mintIdentity(nacl, handle);
    if (!candidate) return say('A handle is 2–32 characters: a-z, 0-9, - and _, starting with a letter or digit.');
    const problem = await register(candidate);
    if (problem) return say(`Could not register @${handle}: ${problem}`);
    setIdentity(candidate);
    say(`Signed in as @${handle}. Export the identity to keep it.`);
  }

  // §3.6 operator side: mint and register an identity for an anonymous participant, then
  // offer it sealed to their presence box_pub, as a signed room message.
  async function promote(participant) {
    const handle = window.prompt(`Handle to give ${participant.name}:`, suggestedHandle(participant.name));
    if (!handle) return;
    const target = mintIdentity(nacl, handle.trim().replace(/^@/, '').toLowerCase());
    if (!target) return say('That is not a valid handle.');
    const problem = await register(target);
    if (problem) return say(`Could not register @${target.handle}: ${problem}`);
    socket.send(await outgoing(adoptOffer(nacl, target, participant.name, participant.box_pub, boxKeys, uuid4())));
    say(`Offered @${target.handle} to ${participant.name}; they have to accept.`);
  }

  function onFrame(event) {
    switch (event.type) {
      case 'message':
        onMessage(event);
        break;
      case 'ready':
      case 'presence':
        presence = { participants: Array.isArray(event.participants) ? event.participants
          : (event.names || []).map((name) => ({ name, last_seen_ms_ago: 0 })), at: Date.now() };
        drawPresence();
        if (event.type === 'ready') onReady();
        break;
      case 'locked':
        setSignedOnly(true);
        break;
      case 'error':
        say(`The relay refused a message: ${event.error || 'error'}`);
        if (/signed_only/.test(String(event.error))) setSignedOnly(true);
        break;
      default:
        break;  // rename: presence follows
    }
  }

  let jumped = false;
  let live = false;  // false while a connection replays the buffer, true after its `ready`
  let unread = 0;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    unread = 0;
    document.title = `${roomId} · Bot2Bot.chat`;
  });
  function onReady() {
    live = true;
    if (!jumped && fragment.m) {
      jumped = true;
      if (view.flash(fragment.m)) {
        fragment.pairs = fragment.pairs.filter(([n]) => n !== 'm');
        history.replaceState(null, '', `${location.pathname}${buildFragment(fragment.pairs)}`);
      }
    }
    if (!histReqSent) {
      histReqSent = true;
      requestHistory();
    }
  }

  function drawPresence() {
    renderPresence($('#presence-list'), $('#presence-count'), presence.participants, presence.at, me,
      identity ? promote : null);
  }

  function hello(withBox = true) {
    const frame = { type: 'hello', name: me };
    if (withBox) frame.box_pub = bytesToB64url(boxKeys.publicKey);
    return frame;
  }

  function rename(next, withBox = false) {
    me = next;
    state.me = me;
    $('#name-input').value = me;
    $('#me-label').textContent = me;
    if (!identity) sessionStorage.setItem(NAME_KEY, me);
    if (!isPresenceName(me)) say('Names with spaces or symbols do not appear in the presence list.');
    socket.sendNow(hello(withBox));
    setSignedOnly(signedOnly);
  }

  const socket = new RoomSocket(
    `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/rooms/${encodeURIComponent(roomId)}/ws`,
    {
      hello: () => hello(true),
      onFrame,
      onState: (s, info) => {
        document.body.dataset.connection = s;
        if (s !== 'open') live = false;
        if (s === 'open') status.textContent = 'connected';
        else if (s === 'connecting') status.textContent = info.attempt ? 'reconnecting…' : 'connecting…';
        else status.textContent = `offline — retrying in ${Math.ceil(info.retryInMs / 1000)} s`;
      },
    });

  // ---- wiring ----
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    sendMessage();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendMessage();
    } else if (e.key === 'Escape' && replyTo) {
      setReply(null);
    }
  });
  $('#reply-cancel').addEventListener('click', () => { setReply(null); input.focus(); });
  list.addEventListener('click', (e) => {
    const link = e.target.closest('a.reply-link');
    if (!link) return;
    e.preventDefault();
    view.flash(link.dataset.target);
  });
  $('#name-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (identity) return;
    rename(cleanLabel($('#name-input').value, me));
  });
  $('#copy-invite').addEventListener('click', (e) => copyText(inviteLink(), e.currentTarget, $('#invite-field')));
  $('#save-transcript').addEventListener('click', () => {
    const text = transcriptText(state.order, { roomId, reactionsOf: (id) => state.reactions.list(id) });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const a = el('a', { href: url, download: transcriptFileName(roomId) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  window.addEventListener('online', () => socket.retryNow());
  document.addEventListener('click', (e) => {
    if (view.picker && !e.target.closest('.picker, .act-react')) view.closePicker();
  });

  $('#create-identity').addEventListener('submit', (e) => {
    e.preventDefault();
    createIdentity($('#handle-input').value);
  });
  $('#import-identity').addEventListener('submit', (e) => {
    e.preventDefault();
    let blob = null;
    try { blob = JSON.parse($('#import-text').value); } catch { /* reported below */ }
    const imported = identityFromBlob(nacl, blob);
    if (!imported) return say('That is not an exported Bot2Bot identity.');
    $('#import-text').value = '';
    setIdentity(imported);
  });
  $('#export-identity').addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(identityBlob(identity), null, 2)], { type: 'application/json' }));
    const a = el('a', { href: url, download: `bot2bot-identity-${identity.handle}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  $('#forget-identity').addEventListener('click', () => setIdentity(null));

  $('#name-input').value = me;
  $('#me-label').textContent = me;
  showIdentity();
  keyFingerprint(key).then((fp) => { $('#fingerprint').textContent = fp || 'unavailable (needs https)'; });
  renderSnippets($('#room-snippets'), snippets(location.origin, inviteLink(), roomId));
  fetch(`/api/rooms/${encodeURIComponent(roomId)}/status`, { cache: 'no-store' })
    .then((r) => r.json()).then((s) => setSignedOnly(s.signed_only === true)).catch(() => {});
  setInterval(() => {
    const gone = state.expire();
    for (const id of gone) view.remove(id);
    if (gone.length) saveTombstones();
    drawPresence();
  }, 5000);
  socket.start();
  input.focus();
  // From the console (and the browser suite): drop the connection to watch the reconnect and
  // the replay de-duplication at work.
  window.bot2botRoom = { dropConnection: () => socket.ws?.close() };
}

start();
