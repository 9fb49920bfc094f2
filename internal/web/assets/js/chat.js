// The user chat page. It speaks protocol v1 over one WebSocket (see
// docs/protocol.md): it sends user_message with a client_msg_id and keeps
// it until acknowledged (resending it after a reconnect is safe), follows
// the sessions it shows and resumes them by last_seq after every
// reconnection, and renders streamed replies as they arrive.
//
// Token: the development login stores one in localStorage. Embedded in
// another site (iframe), the host page hands it over with
//   frame.contentWindow.postMessage({type: 'chatbox:token', token}, chatboxOrigin)
// after the frame posts {type: 'chatbox:ready'}; only origins listed in
// WS_ALLOWED_ORIGINS (and this origin) are listened to. Once connected the
// frame posts {type: 'chatbox:connected', user_id} to the host; when the
// token expires, {type: 'chatbox:token_expired'} (send a fresh one).

import { config, url } from './lib/config.js';
import { $, el, clear, newID, tokenClaims, formatTime } from './lib/dom.js';
import { Connection, api } from './lib/socket.js';
import { SessionView, renderInto } from './lib/messages.js';
import { upload, download, formatSize } from './lib/uploads.js';

const storageKey = 'chatbox.token';
const embedded = window.parent !== window;
const typingEveryMs = 3000;
const typingShowsMs = 5000;
const maxAttachments = 10; // per message (docs/protocol.md)

const state = {
  token: embedded ? '' : (localStorage.getItem(storageKey) || ''),
  tokenSource: '', // the host page's origin, when embedded
  me: '',
  models: [],
  modelChoice: '',
  sessions: new Map(), // id -> SessionView
  current: null, // session id shown; null: a new chat
  followed: new Set(), // sessions this connection resumes
  pending: new Map(), // client_msg_id -> {frame, sessionId}
  draftMsg: '', // client_msg_id of the message starting a new chat
  lastTypingSent: 0,
  retryRef: '',
  uploads: [], // files for the next message: {file, progress, record, error}
};

const ui = {
  conn: $('#conn'), me: $('#me'), list: $('#session-list'), messages: $('#messages'),
  banner: $('#banner'), typing: $('#typing'), notice: $('#notice'), noticeText: $('#notice-text'),
  noticeRetry: $('#notice-retry'), composer: $('#composer'), input: $('#input'), send: $('#send'),
  help: $('#help'), picker: $('#model-picker'), model: $('#model'), signin: $('#signin'),
  toggle: $('#toggle-list'), sidebar: $('#conversations'),
  file: $('#file'), attach: $('#attach'), uploads: $('#attachments'),
};

const conn = new Connection({
  token: () => state.token,
  onFrame: handleFrame,
  onState: showConnection,
  onOpen: resumeAll,
  onTokenExpired: () => {
    if (embedded && state.tokenSource) window.parent.postMessage({ type: 'chatbox:token_expired' }, state.tokenSource);
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

function currentView() {
  return state.current ? view(state.current) : null;
}

// --- connection ---------------------------------------------------------

const stateLabels = { connecting: 'Connecting…', online: 'Connected', offline: 'Offline', 'signed-out': 'Signed out' };

function showConnection(s, detail) {
  ui.conn.dataset.state = s;
  ui.conn.textContent = stateLabels[s] + (detail && s === 'offline' ? ` (${detail})` : '');
  if (s === 'signed-out') showSignin(detail);
  renderComposer();
}

function showSignin(reason) {
  ui.signin.hidden = false;
  $('#signin-text').textContent = reason || (embedded
    ? 'Waiting for the site to sign you in…'
    : 'You are not signed in.');
  $('#signin-dev').hidden = !config.dev || embedded;
}

/** resumeAll runs after every (re)connection: catch up on every session
 * shown, then send what was never acknowledged. */
function resumeAll() {
  ui.signin.hidden = true;
  for (const id of state.followed) conn.send({ type: 'resume', session_id: id, last_seq: view(id).lastSeq });
  for (const p of state.pending.values()) conn.send(p.frame);
}

function follow(id) {
  if (state.followed.has(id)) return;
  state.followed.add(id);
  conn.send({ type: 'resume', session_id: id, last_seq: view(id).lastSeq });
}

// --- frames ---------------------------------------------------------------

function handleFrame(f) {
  switch (f.type) {
    case 'connection_status': onHello(f); break;
    case 'message': onMessage(f); break;
    case 'ai_response': view(f.session_id).delta(f); if (f.session_id === state.current) renderMessages(); break;
    case 'session_status': onSessionStatus(f); break;
    case 'typing': onTyping(f); break;
    case 'resumed': view(f.session_id).lastSeq = Math.max(view(f.session_id).lastSeq, f.last_seq); break;
    case 'error': onError(f); break;
    default: break; // frames of later protocol versions are ignored
  }
}

function onHello(f) {
  state.me = f.user_id;
  const claims = tokenClaims(state.token);
  ui.me.textContent = claims.name || f.user_id;
  state.models = f.models || [];
  clear(ui.model);
  for (const m of state.models) ui.model.append(el('option', { value: m.id, text: m.name }));
  if (!state.modelChoice) state.modelChoice = f.default_model || '';
  ui.picker.hidden = state.models.length < 2;
  renderModel();
  if (embedded && state.tokenSource) {
    window.parent.postMessage({ type: 'chatbox:connected', user_id: f.user_id }, state.tokenSource);
  }
}

function onMessage(m) {
  const p = state.pending.get(m.client_msg_id);
  if (p) {
    state.pending.delete(m.client_msg_id);
    if (state.draftMsg === m.client_msg_id) {
      state.draftMsg = '';
      if (state.current === null) state.current = m.session_id;
    }
  }
  const v = view(m.session_id);
  state.followed.add(m.session_id); // the server follows it for this connection now
  if (!v.info) {
    v.info = { session_id: m.session_id, status: 'active', owner: 'ai', created_at: m.created_at, model_id: state.modelChoice };
    renderList();
  }
  if (m.sender === 'user' && !v.title) v.title = m.content;
  v.add(m);
  if (m.session_id === state.current) renderAll();
}

function onSessionStatus(f) {
  const v = view(f.session_id);
  v.info = { ...(v.info || {}), ...f };
  renderList();
  if (f.session_id === state.current) renderAll();
}

function onTyping(f) {
  if (f.sender === 'user') return; // this user's own typing, from another tab or relayed back
  const v = view(f.session_id);
  v.typing = { name: f.name || (f.sender === 'admin' ? 'Support' : 'Someone'), until: Date.now() + typingShowsMs };
  renderTyping();
  setTimeout(renderTyping, typingShowsMs + 50);
}

const finalCodes = new Set(['session_ended', 'not_found', 'too_large', 'invalid_message', 'invalid_attachment', 'forbidden']);

function onError(f) {
  const p = f.ref ? state.pending.get(f.ref) : null;
  if (p && finalCodes.has(f.code)) {
    state.pending.delete(f.ref);
    if (state.draftMsg === f.ref) state.draftMsg = '';
  }
  if (p && f.code === 'rate_limited') {
    setTimeout(() => conn.send(p.frame), f.retry_after_ms || 2000);
  }
  const texts = {
    llm_unavailable: 'The assistant could not answer right now.',
    rate_limited: 'You are sending messages too fast; your message will be sent again shortly.',
    session_ended: 'This conversation has ended. Start a new chat.',
    too_large: 'That message is too long.',
  };
  state.retryRef = f.code === 'llm_unavailable' && f.ref ? f.ref : '';
  showNotice(texts[f.code] || f.message || 'Something went wrong.');
  renderAll();
}

// --- rendering --------------------------------------------------------------

function showNotice(text) {
  ui.noticeText.textContent = text;
  ui.noticeRetry.hidden = !state.retryRef;
  ui.notice.hidden = false;
}

function renderAll() {
  renderMessages();
  renderBanner();
  renderComposer();
  renderModel();
  renderTyping();
}

function modelName(id) {
  const m = state.models.find((x) => x.id === id);
  return m ? m.name : '';
}

function renderMessages() {
  const v = currentView();
  const pending = [...state.pending.values()]
    .filter((p) => p.sessionId === state.current)
    .map((p) => el('li', { class: 'message user pending' },
      el('div', { class: 'meta' }, el('span', { class: 'author', text: 'You' }), el('span', { class: 'badge', text: 'sending…' })),
      el('div', { class: 'body' }, el('p', { text: p.frame.content }))));
  renderInto(ui.messages, v, 'user', v && v.info ? modelName(v.info.model_id) : '', pending, saveAttachment);
  if (!v && pending.length === 0) {
    ui.messages.append(el('li', { class: 'empty' }, el('p', { text: 'Ask anything. A person can join if you need one.' })));
  }
}

function renderBanner() {
  const info = currentView()?.info;
  let text = '';
  let kind = '';
  if (info && info.status === 'ended') {
    text = 'This conversation has ended.';
    kind = 'ended';
  } else if (info && info.owner === 'human') {
    text = `${info.admin_name || 'A person from support'} has joined the conversation.`;
    kind = 'human';
  } else if (info && info.help_requested) {
    text = 'You asked for a person. Someone will join shortly.';
    kind = 'waiting';
  }
  ui.banner.hidden = !text;
  ui.banner.textContent = text;
  ui.banner.dataset.kind = kind;
}

function renderComposer() {
  const info = currentView()?.info;
  const ended = info?.status === 'ended';
  const signedIn = Boolean(state.token);
  ui.input.disabled = !signedIn || ended;
  ui.send.disabled = !signedIn || ended;
  ui.help.disabled = !signedIn || !info || ended || info.help_requested || info.owner === 'human';
  ui.attach.disabled = !signedIn || ended;
}

function renderUploads() {
  clear(ui.uploads);
  state.uploads.forEach((u) => {
    const status = u.error ? el('span', { class: 'upload-error', text: u.error })
      : u.record ? el('span', { class: 'upload-ready', text: 'ready' })
        : el('progress', { max: '1', value: String(u.progress), 'aria-label': `Uploading ${u.file.name}` });
    ui.uploads.append(el('li', { class: 'upload' },
      el('span', { class: 'upload-name', text: `${u.file.name} (${formatSize(u.file.size)})` }), status,
      el('button', { type: 'button', class: 'upload-remove', 'aria-label': `Remove ${u.file.name}`, text: '×',
        on: { click: () => { state.uploads = state.uploads.filter((x) => x !== u); renderUploads(); } } })));
  });
}

function renderModel() {
  const info = currentView()?.info;
  const id = info?.model_id || state.modelChoice;
  if (id) ui.model.value = id;
  ui.model.disabled = info?.status === 'ended' || info?.owner === 'human';
}

function renderTyping() {
  const t = currentView()?.typing;
  ui.typing.textContent = t && t.until > Date.now() ? `${t.name} is typing…` : '';
}

function sessionTitle(v) {
  if (v.title) return v.title.length > 40 ? v.title.slice(0, 40) + '…' : v.title;
  const d = new Date(v.info?.created_at);
  return Number.isNaN(d.getTime()) ? 'Conversation' : `Chat of ${d.toLocaleDateString()} ${formatTime(v.info.created_at)}`;
}

function renderList() {
  clear(ui.list);
  const views = [...state.sessions.values()].filter((v) => v.info)
    .sort((a, b) => String(b.info.created_at).localeCompare(String(a.info.created_at)));
  for (const v of views) {
    const badges = [];
    if (v.info.status === 'ended') badges.push('ended');
    if (v.info.owner === 'human') badges.push('with a person');
    const button = el('button', {
      type: 'button', class: 'session-item', 'aria-current': v.id === state.current ? 'true' : null,
      on: { click: () => select(v.id) },
    }, el('span', { class: 'title', text: sessionTitle(v) }),
    badges.length ? el('span', { class: 'badges', text: badges.join(' · ') }) : null);
    ui.list.append(el('li', {}, button));
  }
}

// --- actions ---------------------------------------------------------------

function select(id) {
  state.current = id;
  if (id) follow(id);
  closeSidebar();
  ui.notice.hidden = true;
  renderList();
  renderAll();
  ui.input.focus();
}

function attachFiles() {
  for (const file of ui.file.files) {
    if (state.uploads.length >= maxAttachments) {
      showNotice(`At most ${maxAttachments} files per message.`);
      break;
    }
    const u = { file, progress: 0, record: null, error: '' };
    state.uploads.push(u);
    upload(state.token, file, (p) => { u.progress = p; renderUploads(); })
      .then((record) => { u.record = record; })
      .catch((err) => { u.error = err.message; })
      .finally(renderUploads);
  }
  ui.file.value = '';
  renderUploads();
}

function saveAttachment(a) {
  download(state.token, a).catch((err) => showNotice(`Could not download ${a.name}: ${err.message}`));
}

function submit(ev) {
  ev.preventDefault();
  if (state.uploads.some((u) => !u.record && !u.error)) {
    showNotice('Wait a moment: your files are still uploading.');
    return;
  }
  const files = state.uploads.filter((u) => u.record).map((u) => u.record);
  // A message needs text; files alone are sent under their names.
  const content = ui.input.value.trim() || files.map((f) => f.name).join(', ');
  if (!content || !state.token) return;
  if (state.current === null && state.draftMsg) {
    showNotice('Wait a moment: your conversation is starting.');
    return;
  }
  const id = newID();
  const frame = { type: 'user_message', client_msg_id: id, content };
  if (state.current) frame.session_id = state.current;
  else if (state.modelChoice) frame.model_id = state.modelChoice;
  if (files.length) frame.attachments = files.map((f) => f.file_id);
  state.uploads = [];
  renderUploads();
  state.pending.set(id, { frame, sessionId: state.current });
  if (state.current === null) state.draftMsg = id;
  ui.input.value = '';
  ui.notice.hidden = true;
  conn.send(frame); // when offline it goes out after the reconnection
  renderMessages();
}

function onKey(ev) {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    ui.composer.requestSubmit();
  }
}

function onInput() {
  const now = Date.now();
  if (state.current && now - state.lastTypingSent > typingEveryMs) {
    state.lastTypingSent = now;
    conn.send({ type: 'typing', session_id: state.current });
  }
}

function askForHelp() {
  if (!state.current) return;
  conn.send({ type: 'help_request', session_id: state.current });
  ui.help.disabled = true;
}

function retry() {
  const v = currentView();
  const m = v && v.sorted().find((x) => x.client_msg_id === state.retryRef);
  if (m) conn.send({ type: 'user_message', session_id: v.id, client_msg_id: m.client_msg_id, content: m.content });
  state.retryRef = '';
  ui.notice.hidden = true;
}

function chooseModel() {
  state.modelChoice = ui.model.value;
  if (state.current) conn.send({ type: 'model_select', session_id: state.current, model_id: ui.model.value });
}

function closeSidebar() {
  ui.sidebar.classList.remove('open');
  ui.toggle.setAttribute('aria-expanded', 'false');
}

function toggleSidebar() {
  const open = ui.sidebar.classList.toggle('open');
  ui.toggle.setAttribute('aria-expanded', String(open));
}

async function loadSessions() {
  try {
    const body = await api(state.token, '/sessions?limit=50');
    for (const s of body.sessions || []) {
      const v = view(s.session_id);
      v.info = { ...s, ...(v.info || {}) };
    }
    renderList();
    if (state.current === null && !state.draftMsg) {
      const latest = (body.sessions || []).find((s) => s.status === 'active');
      if (latest) select(latest.session_id);
    }
  } catch (err) {
    console.warn('chatbox: could not load conversations:', err.message);
  }
}

function signIn(token, source) {
  state.token = token;
  state.tokenSource = source;
  conn.start();
  loadSessions();
}

function onHostMessage(ev) {
  const allowed = ev.origin === location.origin || (config.embed_origins || []).includes(ev.origin);
  if (!allowed || !ev.data || ev.data.type !== 'chatbox:token' || typeof ev.data.token !== 'string') return;
  signIn(ev.data.token, ev.origin);
}

ui.composer.addEventListener('submit', submit);
ui.input.addEventListener('keydown', onKey);
ui.input.addEventListener('input', onInput);
ui.help.addEventListener('click', askForHelp);
ui.attach.addEventListener('click', () => ui.file.click());
ui.file.addEventListener('change', attachFiles);
ui.model.addEventListener('change', chooseModel);
ui.toggle.addEventListener('click', toggleSidebar);
$('#new-chat').addEventListener('click', () => select(null));
$('#notice-close').addEventListener('click', () => { ui.notice.hidden = true; });
ui.noticeRetry.addEventListener('click', retry);

renderAll();
if (embedded) {
  window.addEventListener('message', onHostMessage);
  window.parent.postMessage({ type: 'chatbox:ready' }, '*'); // carries nothing secret
  showSignin('');
} else if (state.token) {
  signIn(state.token, '');
} else if (config.dev) {
  location.replace(url('/dev/login')); // development: get a token first
} else {
  showConnection('signed-out', '');
}
