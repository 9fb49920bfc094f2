// The user chat page. It speaks protocol v1 over one WebSocket (see
// docs/protocol.md): it sends user_message with a client_msg_id and keeps
// it until acknowledged (resending it after a reconnect is safe), follows
// the sessions it shows and resumes them by last_seq after every
// reconnection, and renders streamed replies as they arrive. Nothing the
// person does is lost to a dropped connection or a chat still starting:
// messages typed before a new chat has its session id wait for it, and a
// help request made offline goes out on reconnection.
//
// Token: the development login stores one in localStorage. Embedded in
// another site (iframe), the host page hands it over with
//   frame.contentWindow.postMessage({type: 'chatbox:token', token}, chatboxOrigin)
// after the frame posts {type: 'chatbox:ready'}; only origins listed in
// WS_ALLOWED_ORIGINS (and this origin) are listened to. Once connected the
// frame posts {type: 'chatbox:connected', user_id} to the host; when the
// token expires, {type: 'chatbox:token_expired'} (send a fresh one).

import { config, url } from './lib/config.js';
import { $, el, clear, newID, tokenClaims } from './lib/dom.js';
import { Connection, api } from './lib/socket.js';
import { SessionView, renderInto } from './lib/messages.js';
import { plainText } from './lib/markdown.js';
import { upload, download, formatSize } from './lib/uploads.js';

const storageKey = 'chatbox.token';
const embedded = window.parent !== window;
const typingEveryMs = 3000;
const typingShowsMs = 5000;
const maxAttachments = 10; // per message (docs/protocol.md)
const thinkingShowsMs = 120_000; // a reply owed longer than this is not shown as coming
const titleChars = 60;

const state = {
  token: embedded ? '' : (localStorage.getItem(storageKey) || ''),
  tokenSource: '', // the host page's origin, when embedded
  me: '',
  models: [],
  modelChoice: '',
  sessions: new Map(), // id -> SessionView
  current: null, // session id shown; null: a new chat
  followed: new Set(), // sessions this connection resumes
  // client_msg_id -> {frame, sessionId, afterDraft}: sent, not yet
  // acknowledged. afterDraft: a message typed while the chat was still
  // starting, held until that draft's session id is known.
  pending: new Map(),
  draftMsg: '', // client_msg_id of the message starting a new chat
  helpPending: new Set(), // session ids whose help request is not confirmed yet
  connectedBefore: false,
  thinkingTimer: 0,
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
  ended: $('#ended'), endedText: $('#ended-text'), endedNew: $('#ended-new'),
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
  renderHelpState();
}

function showSignin(reason) {
  ui.signin.hidden = false;
  $('#signin-text').textContent = reason || (embedded
    ? 'Waiting for the site to sign you in…'
    : 'You are not signed in.');
  $('#signin-dev').hidden = !config.dev || embedded;
}

/** resumeAll runs after every (re)connection: catch up on every session
 * shown, then send what was never acknowledged (help requests included),
 * then refresh the sessions' states, which may have changed meanwhile. */
function resumeAll() {
  ui.signin.hidden = true;
  for (const id of state.followed) conn.send({ type: 'resume', session_id: id, last_seq: view(id).lastSeq });
  for (const p of state.pending.values()) if (!p.afterDraft) conn.send(p.frame);
  for (const id of state.helpPending) conn.send({ type: 'help_request', session_id: id });
  if (state.connectedBefore) loadSessions(false);
  state.connectedBefore = true;
  renderHelpState();
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
      sendHeld(m.client_msg_id, m.session_id);
    }
  }
  const v = view(m.session_id);
  state.followed.add(m.session_id); // the server follows it for this connection now
  const title = sessionTitle(v);
  const known = Boolean(v.info);
  if (!known) {
    v.info = { session_id: m.session_id, status: 'active', owner: 'ai', created_at: m.created_at, model_id: state.modelChoice };
  }
  v.add(m);
  if (v.typing && v.typing.sender === m.sender) v.typing = null; // they finished typing
  if (!known || sessionTitle(v) !== title) renderList();
  if (m.session_id === state.current) renderAll();
}

/** sendHeld sends the messages typed while a new chat was starting, now
 * that its session id is known, in the order they were typed. */
function sendHeld(draftID, sessionID) {
  for (const p of state.pending.values()) {
    if (p.afterDraft !== draftID) continue;
    p.afterDraft = '';
    p.sessionId = sessionID;
    p.frame.session_id = sessionID;
    conn.send(p.frame);
  }
}

/** draftFailed handles a refused first message of a new chat: the next
 * held message starts the chat instead. */
function draftFailed(draftID) {
  state.draftMsg = '';
  for (const [id, p] of state.pending) {
    if (p.afterDraft !== draftID) continue;
    if (!state.draftMsg) {
      state.draftMsg = id;
      p.afterDraft = '';
      if (state.modelChoice) p.frame.model_id = state.modelChoice;
      conn.send(p.frame);
    } else {
      p.afterDraft = state.draftMsg;
    }
  }
}

function onSessionStatus(f) {
  const v = view(f.session_id);
  v.info = { ...(v.info || {}), ...f };
  settleHelp(v.info);
  if (v.typing && (f.owner !== 'human' || f.status === 'ended')) v.typing = null; // the person left
  renderList();
  if (f.session_id === state.current) renderAll();
}

/** settleHelp forgets a help request the session shows was received, or
 * no longer needs. */
function settleHelp(info) {
  if (info.help_requested || info.owner === 'human' || info.status === 'ended') state.helpPending.delete(info.session_id);
}

function onTyping(f) {
  if (f.sender === 'user') return; // the server relays only other people's typing; this is this user's
  const v = view(f.session_id);
  const name = f.sender === 'admin' ? `${f.name || 'Someone'} from Support` : (f.name || 'Someone');
  v.typing = { sender: f.sender, name, until: Date.now() + typingShowsMs };
  renderTyping();
  setTimeout(renderTyping, typingShowsMs + 50);
}

const finalCodes = new Set(['session_ended', 'not_found', 'too_large', 'invalid_message', 'invalid_attachment', 'forbidden']);

function onError(f) {
  const p = f.ref ? state.pending.get(f.ref) : null;
  if (p && finalCodes.has(f.code)) {
    state.pending.delete(f.ref);
    if (state.draftMsg === f.ref) draftFailed(f.ref);
  }
  if (f.session_id && !f.ref && finalCodes.has(f.code)) state.helpPending.delete(f.session_id);
  if (f.session_id && f.code === 'llm_unavailable') {
    const v = view(f.session_id);
    v.settled = Math.max(v.settled, v.lastUser()?.seq || 0); // no reply is coming: stop showing one
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
  // Banners and the end-of-chat panel change the list's height: a list
  // showing its newest message keeps showing it in full.
  const atBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
  renderBanner();
  renderComposer();
  renderModel();
  renderTyping();
  renderMessages();
  if (atBottom) ui.messages.scrollTop = ui.messages.scrollHeight;
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
  const name = v && v.info ? modelName(v.info.model_id) : '';
  if (v && awaitingReply(v)) {
    pending.unshift(el('li', { class: 'thinking', 'aria-busy': 'true' },
      el('span', { class: 'author', text: name || 'Assistant' }), ' is thinking…'));
  }
  renderInto(ui.messages, v, 'user', name, pending, saveAttachment);
  if (!v && pending.length === 0) {
    ui.messages.append(el('li', { class: 'empty' }, el('p', { text: 'Ask anything. A person can join if you need one.' })));
  }
}

/** awaitingReply reports whether the page shows the assistant as thinking:
 * it owes a recent question a reply that has not started streaming. */
function awaitingReply(v) {
  if (!v.awaitsReply()) return false;
  const age = Date.now() - Date.parse(v.lastUser().created_at);
  if (!(age < thinkingShowsMs)) return false;
  clearTimeout(state.thinkingTimer);
  state.thinkingTimer = setTimeout(renderMessages, thinkingShowsMs - age + 50);
  return true;
}

/** endedText says who ended a conversation. */
function endedText(info) {
  switch (info.end_reason) {
    case 'user': return 'You ended this conversation.';
    case 'admin': return `${info.admin_name ? `${info.admin_name} from Support` : 'Support'} ended this conversation.`;
    case 'idle': return 'This conversation ended after a long pause.';
    default: return 'This conversation has ended.';
  }
}

function renderBanner() {
  const info = currentView()?.info;
  let text = '';
  let kind = '';
  if (info && info.status === 'ended') {
    // the end-of-chat panel below the messages says it
  } else if (info && state.helpPending.has(info.session_id) && !conn.open) {
    text = 'You asked for a person. The request will be sent when you are back online.';
    kind = 'queued';
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
  ui.composer.hidden = ended;
  ui.ended.hidden = !ended;
  if (ended) ui.endedText.textContent = endedText(info);
  ui.input.disabled = !signedIn || ended;
  ui.send.disabled = !signedIn || ended;
  const asking = Boolean(info) && state.helpPending.has(info.session_id);
  ui.help.disabled = !signedIn || !info || ended || info.help_requested || info.owner === 'human' || asking;
  ui.help.textContent = !asking ? 'Talk to a person'
    : conn.open ? 'Asking for a person…' : 'Will ask for a person when back online';
  ui.help.dataset.state = asking ? (conn.open ? 'sending' : 'queued') : '';
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

/** sessionTitle is the session's stored title, else its first message, as
 * plain text. */
function sessionTitle(v) {
  const t = plainText(v.info?.title || '') || plainText(v.firstUser?.content || '');
  if (!t) return 'New conversation';
  return t.length > titleChars ? t.slice(0, titleChars - 1) + '…' : t;
}

/** loadFirstMessages fetches the first message of sessions that have no
 * title yet (older ones), for their titles in the list. */
async function loadFirstMessages(views) {
  await Promise.all(views.map(async (v) => {
    try {
      const body = await api(state.token, `/sessions/${encodeURIComponent(v.id)}/messages?limit=1`);
      const m = (body.messages || [])[0];
      if (m && m.sender === 'user' && !v.firstUser) v.firstUser = m;
    } catch (err) {
      console.warn('chatbox: could not load a title:', err.message);
    }
  }));
  renderList();
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

function renderHelpState() {
  renderBanner();
  renderComposer();
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
  const id = newID();
  const frame = { type: 'user_message', client_msg_id: id, content };
  // A message typed while the new chat is still starting waits for its
  // session id: sent without one, it would start a second chat.
  const afterDraft = state.current === null ? state.draftMsg : '';
  if (state.current) frame.session_id = state.current;
  else if (!afterDraft && state.modelChoice) frame.model_id = state.modelChoice;
  if (files.length) frame.attachments = files.map((f) => f.file_id);
  state.uploads = [];
  renderUploads();
  state.pending.set(id, { frame, sessionId: state.current, afterDraft });
  if (state.current === null && !afterDraft) state.draftMsg = id;
  ui.input.value = '';
  state.lastTypingSent = 0; // typing the next message announces itself at once
  ui.notice.hidden = true;
  if (!afterDraft) conn.send(frame); // when offline it goes out after the reconnection
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

/** askForHelp sends a help request now, or when the connection is back:
 * it counts as made only once a session_status shows it. */
function askForHelp() {
  if (!state.current) return;
  state.helpPending.add(state.current);
  conn.send({ type: 'help_request', session_id: state.current });
  renderHelpState();
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

/** loadSessions reads the user's sessions; with openLatest, it opens the
 * newest active one. A state newer than the one shown wins. */
async function loadSessions(openLatest = true) {
  try {
    const body = await api(state.token, '/sessions?limit=50');
    const untitled = [];
    for (const s of body.sessions || []) {
      const v = view(s.session_id);
      const known = v.info;
      const newer = !known || !(Date.parse(known.updated_at) > Date.parse(s.updated_at));
      v.info = newer ? { ...(known || {}), ...s } : { ...s, ...known };
      settleHelp(v.info);
      if (!v.info.title && !v.firstUser) untitled.push(v);
    }
    renderList();
    renderAll();
    if (untitled.length) loadFirstMessages(untitled);
    if (openLatest && state.current === null && !state.draftMsg) {
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
ui.endedNew.addEventListener('click', () => select(null));
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
