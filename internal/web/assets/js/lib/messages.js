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
    this.typing = null; // {name, until}
    this.counted = null; // the console: the session as its metrics last counted it
  }

  /** add stores a message; it returns false for a seq already shown. */
  add(m) {
    if (this.messages.has(m.seq)) return false;
    this.messages.set(m.seq, m);
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (m.sender === 'ai') {
      for (const [id, s] of this.streams) if (s.reply_to === m.reply_to) this.streams.delete(id);
    }
    return true;
  }

  /** delta appends a streamed piece of a reply. */
  delta(f) {
    let s = this.streams.get(f.stream_id);
    if (!s) {
      // A reply already stored (replayed before this snapshot) is not shown twice.
      if ([...this.messages.values()].some((m) => m.sender === 'ai' && m.reply_to === f.reply_to)) return;
      s = { reply_to: f.reply_to, text: '', done: false };
      this.streams.set(f.stream_id, s);
    }
    s.text += f.delta || '';
    if (f.done) s.done = true;
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

/** attachmentList renders a message's files as buttons that download them. */
function attachmentList(attachments, onAttachment) {
  if (!attachments || attachments.length === 0) return null;
  return el('ul', { class: 'attachments' }, ...attachments.map((a) => el('li', {},
    el('button', { type: 'button', class: 'attachment', title: `Download ${a.name}`, on: { click: () => onAttachment(a) } },
      `📎 ${a.name} (${formatSize(a.size)})`))));
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
