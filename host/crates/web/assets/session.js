// session.js: the login form of the console, partner portal and operator
// page. The key is exchanged for an HttpOnly session cookie
// (`POST /v1/session`) and never kept: not in storage, not in a variable
// after the request, and the input is cleared at once.
//
// Ids (in each page's HTML): `login` (section), `login-form`, `login-key`,
// `login-submit`, `login-error`; `app` (the signed-in section), `whoami`,
// `logout`.

import { api, ApiError } from './api.js';
import { $, busy, show } from './ui.js';

/**
 * Shows the login form until a session of one of `roles` exists, then
 * calls `onSession(session)` (`{role, tenant_id, partner_id, expires_at_ms}`).
 */
export async function requireSession(roles, onSession) {
  const form = $('login-form');
  const start = (s) => {
    show('login', false);
    show('app', true);
    const who = $('whoami');
    if (who) who.textContent = s.role + (s.tenant_id ? ' · ' + s.tenant_id : '') + (s.partner_id ? ' · ' + s.partner_id : '');
    show(['whoami', 'logout'], true);
    onSession(s);
  };
  const refuse = (msg) => {
    const e = $('login-error');
    e.textContent = msg;
    e.hidden = !msg;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('login-key');
    const key = input.value.trim();
    input.value = ''; // never keep the key around
    refuse('');
    if (!key) return refuse('Enter a key.');
    await busy($('login-submit'), async () => {
      try {
        const s = await api('POST', '/v1/session', { json: { key } });
        if (!roles.includes(s.role)) {
          await api('DELETE', '/v1/session').catch(() => {});
          return refuse(`This page needs a ${roles.join(' or ')} key; that one is a ${s.role} key.`);
        }
        start(s);
      } catch (e) {
        refuse(e.status === 401 ? 'That key is not valid (or was revoked).' : e.message);
      }
    });
  });
  $('logout').addEventListener('click', async () => {
    await api('DELETE', '/v1/session').catch(() => {});
    location.reload();
  });
  try {
    const s = await api('GET', '/v1/session');
    if (roles.includes(s.role)) return start(s);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) refuse(e.message);
  }
  show('login', true);
  show('app', false);
  $('login-key').focus();
}
