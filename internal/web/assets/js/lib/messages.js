// Rendering of a session's messages, shared by the chat page and the
// console: stored messages in seq order, then replies still streaming, then
// (on the chat page) messages sent but not yet acknowledged.

import { el, clear, formatTime } from './dom.js';
import { render } from './markdown.js';
import { formatSize } from './uploads.js';

/** SessionView is what a page knows of one session. */
export class SessionView {
  constructor(id) {
    this.id = id;
    this.info = null; // the session object, from the list or session_status
    this.messages = new Map(); // seq -> message
    this.lastSeq = 0;
    this.streams = new Map(); // stream_id -> {reply_to, text, done}
    this.typing = null; // {sender, name, until}
    this.counted = null; // the console: the session as its metrics last counted it
    this.firstUser = null; // the first user message known, for a title
    this.settled = 0; // highest user seq whose reply ended (stored, blank or failed)
  }

  /** add stores a message; it returns false for a seq already shown. */
  add(m) {
    if (this.messages.has(m.seq)) return false;
    this.messages.set(m.seq, m);
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (m.sender === 'ai') {
      // One reply may answer several questions sent in a burst: it ends
      // every stream answering its question or an older one.
      for (const [id, s] of this.streams) if (s.reply_to <= m.reply_to) this.streams.delete(id);
      this.settled = Math.max(this.settled, m.reply_to || 0);
    }
    if (m.sender === 'user' && (!this.firstUser || m.seq < this.firstUser.seq)) this.firstUser = m;
    return true;
  }

  /** delta appends a streamed piece of a reply. */
  delta(f) {
    if (f.done) this.settled = Math.max(this.settled, f.reply_to || 0);
    let s = this.streams.get(f.stream_id);
    if (!s) {
      if (f.done) return; // the end of a stream this page never saw start
      // A reply already stored (replayed before this snapshot) is not shown twice.
      if ([...this.messages.values()].some((m) => m.sender === 'ai' && m.reply_to >= f.reply_to)) return;
      // A finished stream whose message never came (a blank or failed
      // reply) gives way to the next reply instead of staying on screen.
      for (const [id, o] of this.streams) if (o.done) this.streams.delete(id);
      s = { reply_to: f.reply_to, text: '', done: false };
      this.streams.set(f.stream_id, s);
    }
    s.text += f.delta || '';
    if (f.done) {
      s.done = true;
      if (!s.text.trim()) this.streams.delete(f.stream_id); // nothing will be stored
    }
  }

  /** lastUser returns the newest user message known, or null. */
  lastUser() {
    let last = null;
    for (const m of this.messages.values()) if (m.sender === 'user' && (!last || m.seq > last.seq)) last = m;
    return last;
  }

  /** awaitsReply reports whether the assistant owes the newest user
   * message a reply it has not started streaming: the page shows it as
   * thinking. A person answering, or any later stored answer, settles it. */
  awaitsReply() {
    const info = this.info;
    if (!info || info.status === 'ended' || info.owner === 'human' || this.streams.size > 0) return false;
    const last = this.lastUser();
    if (!last || last.seq <= this.settled) return false;
    for (const m of this.messages.values()) if (m.seq > last.seq && m.sender === 'admin') return false;
    return true;
  }

  /** sorted returns the stored messages in seq order. */
  sorted() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }
}

/** who names a message's author for the given viewer ('user' or 'admin'). */
function who(m, viewer) {
  switch (m.sender) {
    case 'user': return viewer === 'user' ? 'You' : (m.sender_name || 'User');
    case 'ai': return m.sender_name || 'Assistant';
    case 'admin': return m.sender_name || 'Support';
    default: return '';
  }
}

const svgNS = 'http://www.w3.org/2000/svg';

/** clipIcon is a paper clip drawn as inline SVG: the emoji shows as an
 * empty box where no emoji font is installed. */
export function clipIcon() {
  const svg = document.createElementNS(svgNS, 'svg');
  for (const [k, v] of Object.entries({
    class: 'icon', viewBox: '0 0 24 24', width: '16', height: '16', 'aria-hidden': 'true', focusable: 'false',
    fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round',
  })) svg.setAttribute(k, v);
  const path = document.createElementNS(svgNS, 'path');
  path.setAttribute('d', 'M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l8-8');
  svg.append(path);
  return svg;
}

/** attachmentList renders a message's files as buttons that download them. */
function attachmentList(attachments, onAttachment) {
  if (!attachments || attachments.length === 0) return null;
  return el('ul', { class: 'attachments' }, ...attachments.map((a) => el('li', {},
    el('button', { type: 'button', class: 'attachment', title: `Download ${a.name}`, on: { click: () => onAttachment(a) } },
      clipIcon(), ` ${a.name} (${formatSize(a.size)})`))));
}

/** messageItem renders one stored message as a list item; onAttachment
 * downloads one of its files. */
export function messageItem(m, viewer, onAttachment) {
  if (m.sender === 'system') {
    return el('li', { class: 'message system', 'data-seq': m.seq }, el('p', { text: m.content }));
  }
  const meta = el('div', { class: 'meta' },
    el('span', { class: 'author', text: who(m, viewer) }),
    m.sender === 'admin' ? el('span', { class: 'badge', text: 'support' }) : null,
    el('time', { datetime: m.created_at, text: formatTime(m.created_at) }));
  const body = el('div', { class: 'body' }, render(m.content));
  if (m.interrupted) body.append(el('p', { class: 'interrupted', text: '(reply interrupted)' }));
  const files = attachmentList(m.attachments, onAttachment);
  if (files) body.append(files);
  return el('li', { class: `message ${m.sender}`, 'data-seq': m.seq }, meta, body);
}

/** streamItem renders a reply still being written. */
export function streamItem(s, name) {
  return el('li', { class: 'message ai streaming', 'aria-busy': 'true' },
    el('div', { class: 'meta' }, el('span', { class: 'author', text: name || 'Assistant' }),
      el('span', { class: 'badge', text: s.done ? 'finishing' : 'writing…' })),
    el('div', { class: 'body' }, render(s.text)));
}

/** renderInto replaces list's items with the session's messages and
 * streams, plus extra items; it keeps the view at the bottom when it was. */
export function renderInto(list, view, viewer, modelName, extra, onAttachment) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  clear(list);
  if (view) {
    for (const m of view.sorted()) list.append(messageItem(m, viewer, onAttachment));
    for (const s of view.streams.values()) list.append(streamItem(s, modelName));
  }
  for (const item of extra) list.append(item);
  if (atBottom) list.scrollTop = list.scrollHeight;
}
