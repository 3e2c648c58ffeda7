// partner.js: the partner portal: sign in with a partner key, upload a
// component (`POST /v1/partners/{p}/game-types`, application/wasm), show
// the check's full report when it is refused (422), list the partner's
// game types and each one's versions.
//
// The 422 body is the API's error; its message lists the failed steps as
// `the component failed \`veltrix plugin check\`: step: detail; step: detail`.
// A structured report (`error.report.steps` or `error.steps`, each
// `{name, passed, detail}`) is shown as is when the API sends one.
//
// Ids: `wasm-file`, `wasm-upload`, `partner-id` (operator sessions only),
//   `upload-result` (`check-report`, rows `check-step-<name>` with class
//   passed|failed), `types-list` (rows `ptype-<name>`, buttons
//   `versions-<name>`, tables `versions-table-<name>`), `types-refresh`

import { api, send, seg } from './api.js';
import { requireSession } from './session.js';
import { $, el, fill, busy, toast, fmtTime } from './ui.js';

let partner = null;

requireSession(['partner', 'operator'], (s) => {
  partner = s.partner_id;
  if (!partner) {
    // An operator may act for any partner: ask which.
    const input = $('partner-id');
    input.hidden = false;
    input.addEventListener('change', () => {
      partner = input.value.trim() || null;
      if (partner) busy(null, loadTypes);
    });
  }
  $('upload-form').addEventListener('submit', upload);
  $('types-refresh').addEventListener('click', (e) => busy(e.target, loadTypes));
  if (partner) busy(null, loadTypes);
});

const base = () => `/v1/partners/${seg(partner)}/game-types`;

async function upload(e) {
  e.preventDefault();
  const file = $('wasm-file').files[0];
  if (!partner) return toast('Partner id: required', 'error');
  if (!file) return toast('Choose a .wasm file first', 'error');
  const out = $('upload-result');
  fill(out, el('p', { class: 'muted', text: `Checking ${file.name} (${(file.size / 1024).toFixed(0)} KiB)…` }));
  await busy($('wasm-upload'), async () => {
    try {
      const r = await send('POST', base(), { body: file, type: 'application/wasm' });
      const v = r.data;
      fill(out, el('div', { class: 'outcome ok', testid: 'upload-ok' },
        el('strong', { text: r.status === 201 ? `${v.game_type} version ${v.version} stored` : `Already uploaded: ${v.game_type} version ${v.version}` }),
        el('div', { class: 'small mono', text: `sha256 ${v.hash}` }),
        el('div', { class: 'small', text: `plugin ${v.plugin_version} · ${v.size.toLocaleString()} bytes · ${fmtTime(v.created_at_ms)}` })));
      await loadTypes();
    } catch (err) {
      fill(out, report(err));
      if (err.status !== 422) throw err;
    }
  });
}

/** The check report of a refused upload, one row per step. */
function report(err) {
  const body = (err.body && err.body.error) || {};
  const structured = (body.report && body.report.steps) || body.steps;
  let steps;
  if (Array.isArray(structured)) {
    steps = structured.map((s) => ({ name: s.name, passed: !!s.passed, detail: s.detail || '' }));
  } else {
    // "…check`: load: …; robustness: action #3 (kind submit) trapped: …"
    const msg = err.message || '';
    const at = msg.indexOf('`: ');
    const rest = at >= 0 ? msg.slice(at + 3) : msg;
    steps = splitSteps(rest).map((s) => {
      const i = s.indexOf(': ');
      return i > 0 ? { name: s.slice(0, i), passed: false, detail: s.slice(i + 2) } : { name: 'check', passed: false, detail: s };
    });
  }
  return el('div', { class: 'report', id: 'check-report', testid: 'check-report' },
    el('h3', { text: err.status === 422 ? (body.code === 'limit_exceeded' ? 'Refused: over a limit' : 'Refused: the check failed') : `Upload failed (${err.status || 'network'})` }),
    el('p', { class: 'muted small', text: err.message }),
    el('ol', { class: 'steps-list' }, steps.map((s) =>
      el('li', { class: 'step ' + (s.passed ? 'passed' : 'failed'), testid: `check-step-${s.name}` },
        el('span', { class: 'mark', text: s.passed ? '✔' : '✘' }), el('strong', { text: s.name }),
        el('pre', { class: 'mono', text: s.detail }),
      ))));
}

/** Splits `a: x; b: y` on `; ` only where a new `step:` starts (details may hold `;`). */
function splitSteps(s) {
  const parts = [];
  let cur = '';
  for (const piece of s.split('; ')) {
    if (cur && /^[a-z][a-z0-9 _-]*: /.test(piece)) {
      parts.push(cur);
      cur = piece;
    } else cur = cur ? cur + '; ' + piece : piece;
  }
  if (cur) parts.push(cur);
  return parts;
}

async function loadTypes() {
  const { game_types } = await api('GET', base());
  const list = $('types-list');
  if (!game_types.length) return fill(list, el('li', { class: 'muted', text: 'No uploads yet.' }));
  fill(list, game_types.map((t) => {
    const holder = el('div', { id: `versions-table-${t.game_type}`, testid: `versions-table-${t.game_type}` });
    return el('li', { class: 'type-item', id: `ptype-${t.game_type}`, testid: `ptype-${t.game_type}` },
      el('div', { class: 'type-head' }, el('strong', { text: t.game_type }), el('span', { class: 'chip', text: `v${t.version}` }),
        el('span', { class: 'chip', text: t.plugin_version }), el('span', { class: 'spacer' }),
        el('button', { class: 'btn small', id: `versions-${t.game_type}`, testid: `versions-${t.game_type}`, text: 'Versions', on: { click: (e) => busy(e.target, () => versions(t.game_type, holder)) } })),
      el('small', { class: 'muted mono', text: t.hash.slice(0, 16) + '… · ' + fmtTime(t.created_at_ms) }),
      holder);
  }));
}

async function versions(type, holder) {
  const { versions } = await api('GET', `${base()}/${seg(type)}/versions`);
  fill(holder, el('table', { class: 'table' },
    el('thead', {}, el('tr', {}, ['Version', 'Plugin', 'Size', 'Uploaded', 'SHA-256', 'Games'].map((h) => el('th', { text: h })))),
    el('tbody', {}, versions.map((v) => el('tr', {},
      el('td', { text: String(v.version) }), el('td', { text: v.plugin_version }), el('td', { text: v.size.toLocaleString() }),
      el('td', { text: fmtTime(v.created_at_ms) }), el('td', { class: 'mono', text: v.hash.slice(0, 12) + '…' }),
      el('td', { text: String(v.games ?? 0), testid: `games-${type}-${v.version}` }))))));
}
