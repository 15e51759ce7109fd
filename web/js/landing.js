// Landing page: mints a room (id + 32-byte key from crypto.getRandomValues) in the browser
// and fills the snippets with its URL. "New room" opens it; nothing is sent before that.
import { $, copyText, renderSnippets } from './dom.js';
import { newRoomId, newRoomKey, roomUrl } from './room-key.js';
import { snippets } from './snippets.js';

let current = null;

function mint() {
  const id = newRoomId();
  const url = roomUrl(location.origin, id, newRoomKey());
  current = { id, url };
  $('#room-url').value = url;
  $('#open-room').href = url;
  renderSnippets($('#snippets'), snippets(location.origin, url, id));
}

$('#new-room').addEventListener('click', () => location.assign(current.url));
$('#reroll').addEventListener('click', mint);
$('#copy-room').addEventListener('click', (e) => copyText(current.url, e.currentTarget, $('#room-url')));
mint();
