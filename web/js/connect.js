// /connect: the snippets for any room URL the visitor pastes, or for a freshly minted one.
import { $, renderSnippets } from './dom.js';
import { newRoomId, newRoomKey, roomIdFromPath, roomUrl } from './room-key.js';
import { snippets } from './snippets.js';

const field = $('#connect-url');

function draw() {
  let id = 'ROOMID';
  try {
    id = roomIdFromPath(new URL(field.value).pathname) || id;
  } catch { /* not a URL yet: keep the placeholder id */ }
  renderSnippets($('#snippets'), snippets(location.origin, field.value, id));
}

function mint() {
  field.value = roomUrl(location.origin, newRoomId(), newRoomKey());
  draw();
}

field.addEventListener('input', draw);
$('#connect-new').addEventListener('click', mint);
mint();
