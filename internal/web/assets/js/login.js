// The development login: mints a token through the dev-only endpoint and
// stores it where the chat page (chatbox.token) or the console
// (chatbox.adminToken) looks for it.

import { url } from './lib/config.js';
import { $ } from './lib/dom.js';

const form = $('#login');
const error = $('#error');
if (new URLSearchParams(location.search).get('admin') === '1') $('#admin').checked = true;

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  const admin = $('#admin').checked;
  try {
    const res = await fetch(url('/dev/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: $('#user').value, name: $('#name').value, admin }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    localStorage.setItem(admin ? 'chatbox.adminToken' : 'chatbox.token', body.token);
    location.assign(url(admin ? '/console/' : '/'));
  } catch (err) {
    error.textContent = `Could not sign in: ${err.message}`;
    error.hidden = false;
  }
});
