// Connection keeps one WebSocket to the server open: it reconnects with a
// growing delay after a drop (at once after a 1012 service restart), and
// reports its state so pages can show it. Pages resume their sessions in
// onOpen, which runs after every (re)connection.

import { url, wsURL } from './config.js';

const maxDelayMs = 8000;

export class Connection {
  /**
   * @param {object} o
   * @param {() => string} o.token  the current token
   * @param {(frame: object) => void} o.onFrame  every server frame
   * @param {(state: string, detail: string) => void} o.onState
   *   'connecting', 'online', 'offline' (detail: when it retries), 'signed-out'
   * @param {() => void} [o.onOpen]  after connection_status, on every connection
   * @param {() => void} [o.onTokenExpired]  close code 4001
   */
  constructor(o) {
    this.o = o;
    this.ws = null;
    this.failures = 0;
    this.timer = 0;
    this.stopped = false;
  }

  /** start connects, or reconnects now with the current token. */
  start() {
    this.stopped = false;
    clearTimeout(this.timer);
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.close(1000);
    }
    const token = this.o.token();
    if (!token) {
      this.o.onState('signed-out', '');
      return;
    }
    this.o.onState('connecting', '');
    const ws = new WebSocket(wsURL(token));
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        console.warn('chatbox: ignored a frame that is not JSON');
        return;
      }
      if (frame.type === 'connection_status') {
        this.failures = 0;
        this.o.onState('online', '');
        this.o.onFrame(frame);
        if (this.o.onOpen) this.o.onOpen();
        return;
      }
      this.o.onFrame(frame);
    });
    ws.addEventListener('close', (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.closed(ev.code);
    });
  }

  /** stop closes the connection for good (until start). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** open reports whether frames can be sent now. */
  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** send sends a frame; it returns false when the connection is down (the
   * page keeps the frame and sends it again after onOpen). */
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  async closed(code) {
    if (this.stopped) return;
    if (code === 4001) {
      this.o.onState('signed-out', 'Your session expired.');
      if (this.o.onTokenExpired) this.o.onTokenExpired();
      return;
    }
    this.failures++;
    // The browser hides why an upgrade failed; ask the API whether the
    // token is still good before retrying forever with a bad one.
    if (this.failures >= 2 && (await this.tokenRejected())) {
      this.o.onState('signed-out', 'The server did not accept your token.');
      if (this.o.onTokenExpired) this.o.onTokenExpired();
      return;
    }
    const delay = code === 1012 && this.failures === 1 ? 100
      : Math.min(maxDelayMs, 500 * 2 ** (this.failures - 1)) * (0.75 + Math.random() / 2);
    this.o.onState('offline', `retrying in ${Math.ceil(delay / 1000)}s`);
    this.timer = setTimeout(() => this.start(), delay);
  }

  async tokenRejected() {
    try {
      const res = await fetch(url('/sessions?limit=1'), { headers: { Authorization: `Bearer ${this.o.token()}` } });
      return res.status === 401;
    } catch {
      return false; // the server is unreachable: keep retrying
    }
  }
}

/** api calls a REST route with the token and returns the decoded JSON. */
export async function api(token, path, init = {}) {
  const res = await fetch(url(path), {
    ...init,
    headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = body.error ? body.error.message : res.statusText;
    const err = new Error(`${path}: ${res.status} ${msg}`);
    err.status = res.status;
    throw err;
  }
  return body;
}
