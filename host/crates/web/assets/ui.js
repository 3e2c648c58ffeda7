// ui.js: small DOM helpers shared by the pages (no framework: the pages
// are small, and a build step is ruled out).
//
// Test ids: `toast` (every notice; errors also have class `error`).

/** `el('button', {id, testid, class, text, on: {click}}, ...children)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'testid') node.dataset.testid = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === 'value') node.value = v;
    else if (k === 'checked') node.checked = !!v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

/** Replaces `node`'s children. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const c of children.flat()) if (c) node.append(c);
  return node;
}

/** Shows or hides elements by id (the `hidden` attribute). */
export function show(ids, visible = true) {
  for (const id of [].concat(ids)) {
    const n = $(id);
    if (n) n.hidden = !visible;
  }
}

function toastArea() {
  let area = $('toasts');
  if (!area) {
    area = el('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' });
    document.body.append(area);
  }
  return area;
}

/**
 * A notice at the bottom of the screen; errors stay longer. A click
 * dismisses it; the same message again replaces the earlier one (no
 * stack of repeats), and a success notice clears the errors before it,
 * so an error never outlives the problem it reported.
 */
export function toast(message, kind = 'info') {
  const area = toastArea();
  for (const old of area.querySelectorAll('.toast')) {
    if (old.dataset.message === message || (kind !== 'error' && old.classList.contains('error'))) old.remove();
  }
  const t = el('div', { class: 'toast ' + kind, testid: 'toast', role: 'status', text: message, title: 'Click to dismiss', on: { click: () => t.remove() } });
  t.dataset.message = message;
  area.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 10000 : 4000);
}

/** Shows an error to the user: the API's `message` when there is one. */
export function showError(err) {
  toast(err && err.message ? err.message : String(err), 'error');
}

/**
 * Runs `fn` for a button click: the button is disabled meanwhile (no
 * double submits), errors are shown to the user.
 */
export async function busy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    showError(e);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * Two clicks for what cannot be undone (end a game, revoke a key): the
 * first arms the button (`confirmText`), a second within 5 s answers
 * true; then, or after the 5 s, it reads `text` again. No modal dialog,
 * which would also get in the way of WebDriver.
 */
export function armed(button, text, confirmText) {
  if (button.dataset.armed === '1') {
    button.dataset.armed = '';
    button.textContent = text;
    return true;
  }
  button.dataset.armed = '1';
  button.textContent = confirmText;
  setTimeout(() => {
    button.dataset.armed = '';
    button.textContent = text;
  }, 5000);
  return false;
}

/** A local date and time from ms since the epoch. */
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toLocaleString();
}

/** `snake_case` -> `Snake case`, for labels. */
export function humanize(key) {
  const s = String(key).replace(/_ms$/, '').replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A JSON value as a readable key/value tree: objects as definition lists,
 * arrays of scalars inline, arrays of objects as numbered entries,
 * `*_ms` timestamps as local times.
 */
export function kvTree(value, key = '') {
  if (value === null || value === undefined) return el('span', { class: 'muted', text: '—' });
  if (Array.isArray(value)) {
    if (value.length === 0) return el('span', { class: 'muted', text: 'none' });
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return el('span', { class: 'chips' }, value.map((v) => el('span', { class: 'chip', text: String(v) })));
    }
    return el('ol', { class: 'kv-list' }, value.map((v) => el('li', {}, kvTree(v))));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return el('span', { class: 'muted', text: 'empty' });
    return el(
      'dl',
      { class: 'kv' },
      entries.flatMap(([k, v]) => [el('dt', { text: humanize(k) }), el('dd', {}, kvTree(v, k))]),
    );
  }
  if (typeof value === 'boolean') return el('span', { class: 'chip ' + (value ? 'ok' : ''), text: value ? 'yes' : 'no' });
  if (typeof value === 'number' && /_ms$/.test(key) && value > 1e12) return el('span', { text: fmtTime(value) });
  return el('span', { text: String(value) });
}

/** Offers `text` as a file download (a blob URL, revoked afterwards). */
export function download(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * An <img> of `text`'s QR code: POST /qr answers SVG; shown through a
 * blob URL so the text (a join link, with its token) is never in a URL.
 */
export async function qrImage(text, attrs = {}) {
  const resp = await fetch('/qr', { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' } });
  if (!resp.ok) throw new Error('QR code failed: ' + resp.status);
  const url = URL.createObjectURL(await resp.blob());
  return el('img', { src: url, alt: 'QR code', class: 'qr', ...attrs });
}

/** A status badge (`running`, `paused`...). */
export function badge(status, attrs = {}) {
  return el('span', { class: 'badge status-' + status, text: status, ...attrs });
}

/** Escapes a CSV field (quotes when needed). */
export function csvField(v) {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
