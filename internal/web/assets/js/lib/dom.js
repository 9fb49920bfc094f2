// Small DOM helpers. Text always goes in as text nodes: no function here
// parses HTML, so user and AI content can never become markup.

/**
 * el creates an element. attrs: plain attributes, plus `class`, `text`
 * (textContent), `on` ({event: handler}) and boolean properties given as
 * true/false (hidden, disabled...). Children are nodes or strings.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** $ finds one element by selector, failing loudly when the page lacks it. */
export function $(selector, root = document) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`page element missing: ${selector}`);
  return node;
}

/** clear removes every child of node. */
export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

/** formatTime shows an ISO time as the local hour and minute. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** formatWait shows a duration in seconds as "42s", "3m 05s" or "2h 04m". */
export function formatWait(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** newID returns a fresh client_msg_id. */
export function newID() {
  return 'c-' + crypto.randomUUID();
}

/** tokenClaims reads the display name from a JWT's payload, for display only
 * (the server verifies tokens; the page never trusts this for anything). */
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}
