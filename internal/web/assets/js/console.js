// The admin console. Its list of sessions is loaded once (and again when a
// filter changes), then kept current by the admin_feed frames every admin
// connection receives: it never polls. The metrics cards are read once and
// then adjusted from the same feed. Opening a session watches it live;
// take over, reply and release use the admin frames of docs/protocol.md.

import { config, url } from './lib/config.js';
import { $, el, clear, newID, tokenClaims, formatTime, formatWait } from './lib/dom.js';
import { Connection, api } from './lib/socket.js';
import { SessionView, renderInto } from './lib/messages.js';
import { plainText } from './lib/markdown.js';
import { download } from './lib/uploads.js';

const storageKey = 'chatbox.adminToken';
const typingEveryMs = 3000;
const typingShowsMs = 5000;
const titleChars = 80;

const state = {
  token: localStorage.getItem(storageKey) || '',
  me: '',
  sessions: new Map(), // id -> SessionView
  listed: new Set(), // ids the current filter shows
  open: null, // id of the session in the detail pane
  metrics: null,
  pending: new Map(), // client_msg_id -> admin_message frame
  lastTypingSent: 0,
};

const ui = {
  conn: $('#conn'), me: $('#me'), list: $('#session-list'), empty: $('#list-empty'), filters: $('#filters'),
  detail: $('#detail'), title: $('#d-title'), dstate: $('#d-state'), messages: $('#d-messages'),
  typing: $('#d-typing'), takeover: $('#d-takeover'), release: $('#d-release'), end: $('#d-end'),
  composer: $('#d-composer'), input: $('#d-input'), send: $('#d-send'), inputLabel: $('#d-input-label'),
  notice: $('#notice'), noticeText: $('#notice-text'), endDialog: $('#end-dialog'),
};

const conn = new Connection({
  token: () => state.token,
  onFrame: handleFrame,
  onState: showConnection,
  onOpen: () => {
    if (state.open) conn.send({ type: 'watch', session_id: state.open, last_seq: view(state.open).lastSeq });
    for (const f of state.pending.values()) conn.send(f);
  },
});

function view(id) {
  let v = state.sessions.get(id);
  if (!v) {
    v = new SessionView(id);
    state.sessions.set(id, v);
  }
  return v;
}

const stateLabels = { connecting: 'Connecting…', online: 'Live', offline: 'Offline', 'signed-out': 'Signed out' };

function showConnection(s, detail) {
  ui.conn.dataset.state = s;
  ui.conn.textContent = stateLabels[s] + (detail && s === 'offline' ? ` (${detail})` : '');
  if (s === 'signed-out') {
    $('#signin').hidden = false;
    if (detail) $('#signin-text').textContent = detail;
    $('#signin-dev').hidden = !config.dev;
  }
}

// --- frames ---------------------------------------------------------------

function handleFrame(f) {
  switch (f.type) {
    case 'connection_status':
      state.me = f.user_id;
      ui.me.textContent = tokenClaims(state.token).name || f.user_id;
      break;
    case 'admin_feed': onFeed(f); break;
    case 'session_status': onStatus(f); break;
    case 'message': onMessage(f); break;
    case 'ai_response': view(f.session_id).delta(f); if (f.session_id === state.open) renderDetail(); break;
    case 'typing': onTyping(f); break;
    case 'resumed': break;
    case 'error': onError(f); break;
    default: break; // frames of later protocol versions are ignored
  }
}

function onFeed(f) {
  const s = f.session;
  if (!s || !s.session_id) return;
  const v = view(s.session_id);
  // The cards count from what the feed (or the list) said before, not from
  // session_status frames this console may have received first.
  adjustMetrics(f.event, v.counted, s);
  v.counted = s;
  setInfo(v, s);
  if (matches(v.info)) state.listed.add(v.id);
  else state.listed.delete(v.id);
  renderList();
  if (state.listed.has(v.id) && !v.info.title) loadFirstMessages([v]);
  if (v.id === state.open) renderDetail();
}

function onStatus(f) {
  const v = view(f.session_id);
  setInfo(v, f);
  renderList();
  if (v.id === state.open) renderDetail();
}

/** setInfo records a session's new state. A change of owner (a takeover
 * or release) or its end also ends the typing indicator shown. */
function setInfo(v, s) {
  const before = v.info;
  v.info = { ...(before || {}), ...s };
  if (v.typing && (v.info.status === 'ended' || (before && (before.owner !== v.info.owner || before.admin_id !== v.info.admin_id)))) {
    v.typing = null;
  }
}

function onMessage(m) {
  state.pending.delete(m.client_msg_id);
  const v = view(m.session_id);
  const title = titleOf(v);
  v.add(m);
  if (v.typing && v.typing.sender === m.sender) v.typing = null; // they finished typing
  if (titleOf(v) !== title) renderList();
  if (m.session_id === state.open) renderDetail();
}

function onTyping(f) {
  // The server relays other people's typing only; an admin's own never comes back.
  const name = f.name || f.sender || 'Someone';
  view(f.session_id).typing = { sender: f.sender, name: f.sender === 'admin' ? `${name} from Support` : name, until: Date.now() + typingShowsMs };
  renderTyping();
  setTimeout(renderTyping, typingShowsMs + 50);
}

function onError(f) {
  if (f.ref) state.pending.delete(f.ref);
  const texts = {
    conflict: 'Another admin owns this session, or you need to take it over first.',
    forbidden: 'Your token does not have the admin role.',
  };
  showNotice(texts[f.code] || f.message || 'Something went wrong.');
}

function showNotice(text) {
  ui.noticeText.textContent = text;
  ui.notice.hidden = false;
}

// --- metrics ----------------------------------------------------------------

/** adjustMetrics keeps the cards current from the feed, comparing the
 * session before and after the event. */
function adjustMetrics(event, prev, next) {
  const m = state.metrics;
  if (!m) return;
  const wasHuman = prev?.owner === 'human';
  const wasWaiting = Boolean(prev?.help_requested);
  switch (event) {
    case 'session_created':
      m.active_sessions++;
      m.sessions_today++;
      break;
    case 'help_requested':
      if (!wasWaiting) m.help_waiting++;
      break;
    case 'owner_changed':
      if (next.owner === 'human' && !wasHuman) {
        m.human_owned++;
        m.takeovers_today++;
      }
      if (next.owner !== 'human' && wasHuman) m.human_owned--;
      if (wasWaiting && !next.help_requested) m.help_waiting--;
      break;
    case 'session_ended':
      m.active_sessions--;
      if (wasHuman) m.human_owned--;
      if (wasWaiting) m.help_waiting--;
      break;
    default:
      return;
  }
  for (const k of ['active_sessions', 'help_waiting', 'human_owned']) m[k] = Math.max(0, m[k]);
  renderMetrics();
}

function setCard(id, text) {
  $(`#${id} .value`).textContent = text;
}

function renderMetrics() {
  const m = state.metrics;
  if (!m) return;
  setCard('metric-active', String(m.active_sessions));
  setCard('metric-today', String(m.sessions_today));
  setCard('metric-help', String(m.help_waiting));
  $('#metric-help').classList.toggle('alert', m.help_waiting > 0);
  setCard('metric-human', String(m.human_owned));
  setCard('metric-takeovers', String(m.takeovers_today));
  const t = m.tokens_today || { input: 0, output: 0 };
  setCard('metric-tokens', `${t.input} / ${t.output}`);
  setCard('metric-p50', m.first_token_p50_seconds ? `${m.first_token_p50_seconds.toFixed(2)} s` : '–');
}

// --- the list -----------------------------------------------------------------

function filters() {
  return {
    status: $('#f-status').value,
    owner: $('#f-owner').value,
    help: $('#f-help').checked,
    user: $('#f-user').value.trim(),
  };
}

/** matches applies the filters to a session the feed announced. */
function matches(s) {
  const f = filters();
  return (!f.status || s.status === f.status) && (!f.owner || s.owner === f.owner) &&
    (!f.help || s.help_requested) && (!f.user || s.user_id === f.user);
}

async function loadList() {
  const f = filters();
  const q = new URLSearchParams({ limit: '100' });
  if (f.status) q.set('status', f.status);
  if (f.owner) q.set('owner', f.owner);
  if (f.help) q.set('help_requested', 'true');
  if (f.user) q.set('user_id', f.user);
  try {
    const body = await api(state.token, `/admin/sessions?${q}`);
    state.listed.clear();
    const untitled = [];
    for (const s of body.sessions || []) {
      const v = view(s.session_id);
      v.info = s;
      if (!v.counted) v.counted = s;
      state.listed.add(s.session_id);
      if (!s.title && !v.firstUser) untitled.push(v);
    }
    renderList();
    loadFirstMessages(untitled);
  } catch (err) {
    showListError(err);
  }
}

function showListError(err) {
  if (err.status === 401 || err.status === 403) showConnection('signed-out', 'This page needs a valid admin token.');
  else console.warn('chatbox console:', err.message);
}

function waitingSeconds(s) {
  return (Date.now() - new Date(s.help_requested_at).getTime()) / 1000;
}

function ownerText(s) {
  if (s.owner !== 'human') return 'assistant';
  return s.admin_id === state.me ? `${s.admin_name || s.admin_id} (you)` : (s.admin_name || s.admin_id || 'a person');
}

/** titleOf is the session's stored title, else its first message, as
 * plain text; '' while neither is known. */
function titleOf(v) {
  const t = plainText(v.info?.title || '') || plainText(v.firstUser?.content || '');
  return t.length > titleChars ? t.slice(0, titleChars - 1) + '…' : t;
}

/** loadFirstMessages fetches the first message of sessions without a
 * stored title (older ones, or a new one the feed just announced). */
async function loadFirstMessages(views) {
  const missing = views.filter((v) => !v.firstUser && !v.loadingFirst);
  if (!missing.length) return;
  await Promise.all(missing.map(async (v) => {
    v.loadingFirst = true;
    try {
      const body = await api(state.token, `/admin/sessions/${encodeURIComponent(v.id)}/messages?limit=1`);
      const m = (body.messages || [])[0];
      if (m && m.sender === 'user' && !v.firstUser) v.firstUser = m;
    } catch (err) {
      console.warn('chatbox console: could not load a title:', err.message);
    } finally {
      v.loadingFirst = false;
    }
  }));
  renderList();
  if (state.open) renderDetail();
}

function renderList() {
  clear(ui.list);
  const items = [...state.listed].map((id) => view(id)).filter((v) => v.info).sort((a, b) => {
    const ha = a.info.help_requested && a.info.status === 'active';
    const hb = b.info.help_requested && b.info.status === 'active';
    if (ha !== hb) return ha ? -1 : 1;
    if (ha) return String(a.info.help_requested_at).localeCompare(String(b.info.help_requested_at));
    return String(b.info.created_at).localeCompare(String(a.info.created_at));
  });
  for (const v of items) {
    const s = v.info;
    const waiting = s.help_requested && s.status === 'active';
    const row = el('button', {
      type: 'button', class: 'admin-session', 'aria-current': v.id === state.open ? 'true' : null,
      'data-session': v.id, on: { click: () => openSession(v.id) },
    },
    el('span', { class: 'user', text: s.user_id }),
    el('time', { datetime: s.created_at, text: formatTime(s.created_at) }),
    el('span', { class: 'title', text: titleOf(v) || 'New conversation' }),
    el('span', { class: 'status', text: `${s.status} · ${ownerText(s)}` }),
    waiting ? el('span', { class: 'wait', 'data-since': s.help_requested_at, text: `help · waiting ${formatWait(waitingSeconds(s))}` }) : null);
    ui.list.append(el('li', { class: waiting ? 'help' : '' }, row));
  }
  ui.empty.hidden = items.length > 0;
}

/** tickWaits refreshes the waiting times shown (a clock on the page; no
 * request is made). */
function tickWaits() {
  for (const w of ui.list.querySelectorAll('.wait')) {
    w.textContent = `help · waiting ${formatWait((Date.now() - new Date(w.dataset.since).getTime()) / 1000)}`;
  }
}

// --- the detail pane ------------------------------------------------------------

function openSession(id) {
  if (state.open && state.open !== id) conn.send({ type: 'unwatch', session_id: state.open });
  state.open = id;
  ui.notice.hidden = true;
  ui.detail.hidden = false;
  document.body.classList.add('detail-open');
  conn.send({ type: 'watch', session_id: id, last_seq: view(id).lastSeq });
  renderList();
  renderDetail();
}

function closeSession() {
  if (state.open) conn.send({ type: 'unwatch', session_id: state.open });
  state.open = null;
  ui.detail.hidden = true;
  document.body.classList.remove('detail-open');
  renderList();
}

function mine(s) {
  return s?.owner === 'human' && s.admin_id === state.me;
}

function renderDetail() {
  const v = state.open ? view(state.open) : null;
  if (!v) return;
  const s = v.info || {};
  ui.title.textContent = titleOf(v) || `Conversation with ${s.user_id || 'a user'}`;
  const parts = [`with ${s.user_id || 'a user'}`, `${s.status || 'active'}`, `answered by ${ownerText(s)}`];
  if (s.help_requested) parts.push(`help requested ${formatTime(s.help_requested_at)}`);
  ui.dstate.textContent = parts.join(' · ');
  const active = s.status !== 'ended';
  ui.takeover.hidden = !active || s.owner === 'human';
  ui.release.hidden = !active || !mine(s);
  ui.end.hidden = !active;
  const canReply = active && mine(s);
  ui.input.disabled = !canReply;
  ui.send.disabled = !canReply;
  ui.inputLabel.textContent = canReply ? `Reply as ${ui.me.textContent}` : 'Reply (take over first)';
  ui.input.placeholder = canReply
    ? `Write to ${s.user_id || 'the user'}. Enter sends, Shift+Enter starts a new line.`
    : active ? 'Take over to reply.' : 'This conversation has ended.';
  const pending = [...state.pending.values()].filter((f) => f.session_id === v.id)
    .map((f) => el('li', { class: 'message admin pending' },
      el('div', { class: 'meta' }, el('span', { class: 'author', text: 'You' }), el('span', { class: 'badge', text: 'sending…' })),
      el('div', { class: 'body' }, el('p', { text: f.content }))));
  renderInto(ui.messages, v, 'admin', '', pending, saveAttachment);
  renderTyping();
}

function renderTyping() {
  const t = state.open ? view(state.open).typing : null;
  ui.typing.textContent = t && t.until > Date.now() ? `${t.name} is typing…` : '';
}

function reply(ev) {
  ev.preventDefault();
  const content = ui.input.value.trim();
  if (!content || !state.open) return;
  const frame = { type: 'admin_message', session_id: state.open, client_msg_id: newID(), content };
  state.pending.set(frame.client_msg_id, frame);
  ui.input.value = '';
  state.lastTypingSent = 0; // typing the next message announces itself at once
  conn.send(frame);
  renderDetail();
}

function saveAttachment(a) {
  download(state.token, a).catch((err) => showNotice(`Could not download ${a.name}: ${err.message}`));
}

/** confirmEnd asks, in a dialog of the page, before ending the session
 * shown: the user cannot continue an ended conversation. */
function confirmEnd() {
  if (!state.open) return;
  ui.endDialog.returnValue = '';
  ui.endDialog.dataset.session = state.open;
  ui.endDialog.showModal();
}

function onEndDialogClosed() {
  if (ui.endDialog.returnValue === 'end') endSession(ui.endDialog.dataset.session);
}

async function endSession(id) {
  try {
    const body = await api(state.token, `/sessions/${encodeURIComponent(id)}/end`, { method: 'POST' });
    if (body.session) onStatus(body.session);
  } catch (err) {
    showNotice(`Could not end the session: ${err.message}`);
  }
}

async function loadMetrics() {
  try {
    state.metrics = await api(state.token, '/admin/metrics');
    renderMetrics();
  } catch (err) {
    showListError(err);
  }
}

ui.filters.addEventListener('change', loadList);
ui.filters.addEventListener('submit', (ev) => { ev.preventDefault(); loadList(); });
ui.takeover.addEventListener('click', () => conn.send({ type: 'takeover', session_id: state.open }));
ui.release.addEventListener('click', () => conn.send({ type: 'release', session_id: state.open }));
ui.end.addEventListener('click', confirmEnd);
ui.endDialog.addEventListener('close', onEndDialogClosed);
$('#d-close').addEventListener('click', closeSession);
$('#notice-close').addEventListener('click', () => { ui.notice.hidden = true; });
ui.composer.addEventListener('submit', reply);
ui.input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.input.addEventListener('input', () => {
  const now = Date.now();
  if (mine(view(state.open).info) && now - state.lastTypingSent > typingEveryMs) {
    state.lastTypingSent = now;
    conn.send({ type: 'typing', session_id: state.open });
  }
});

if (state.token) {
  conn.start();
  loadMetrics();
  loadList();
  setInterval(tickWaits, 1000);
} else if (config.dev) {
  location.replace(url('/dev/login?admin=1')); // development: get an admin token first
} else {
  showConnection('signed-out', '');
}
