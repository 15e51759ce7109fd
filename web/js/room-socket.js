// The room's WebSocket (ROOMS.md §6.3): hello on open, queued frames flushed after it, a
// `listening` heartbeat every 15 s, and reconnection with backoff
// min(15 s, 400 ms·1.7ⁿ) plus up to 40 % jitter. The relay replays its whole buffer on every
// connect; the caller de-duplicates by message id.

export const HEARTBEAT_MS = 15000;

export function backoffMs(attempt, jitter = Math.random()) {
  const base = Math.min(15000, 400 * 1.7 ** attempt);
  return Math.round(base * (1 + 0.4 * jitter));
}

export class RoomSocket {
  constructor(url, { hello, onFrame, onState }) {
    this.url = url;
    this.hello = hello;      // () => hello frame object
    this.onFrame = onFrame;  // (event object) => void
    this.onState = onState;  // ('connecting'|'open'|'closed', {attempt, retryInMs}) => void
    this.queue = [];
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.heartbeat = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    if (this.ws) this.ws.close();
  }

  get isOpen() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  connect() {
    clearTimeout(this.timer);
    this.onState('connecting', { attempt: this.attempt });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.attempt = 0;
      ws.send(JSON.stringify(this.hello()));
      for (const frame of this.queue.splice(0)) ws.send(frame);
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => this.sendNow({ type: 'listening' }), HEARTBEAT_MS);
      this.onState('open', {});
    });
    ws.addEventListener('message', (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return;
      }
      if (event && typeof event === 'object') this.onFrame(event);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      clearInterval(this.heartbeat);
      if (this.stopped) return;
      const retryInMs = backoffMs(this.attempt++);
      this.onState('closed', { attempt: this.attempt, retryInMs });
      this.timer = setTimeout(() => this.connect(), retryInMs);
    });
  }

  sendNow(obj) {
    if (this.isOpen) this.ws.send(JSON.stringify(obj));
  }

  // Posts a frame now, or after the next hello when disconnected.
  send(obj) {
    const frame = JSON.stringify(obj);
    if (this.isOpen) this.ws.send(frame);
    else this.queue.push(frame);
  }

  // Reconnect at once (the "retry now" button, or coming back online).
  retryNow() {
    if (this.isOpen || this.stopped) return;
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    this.connect();
  }
}
