// screen.js: the projector page, `/screen/{token}`: team standings in big
// type, rank-change arrows and overtake call-outs (computed here from
// consecutive `board` events), a countdown to `ends_at_ms`, the frozen
// banner and the podium reveal; the tenant's name, logo and colours; and
// per-quest progress: how many teams (players, without teams) are done
// with each quest, and each one's latest status in the game type's words.
// The token is read from the path; the board comes over SSE
// (`GET /v1/screen/{token}/stream`, no credentials: the token is it).
//
// Ids: `screen-tenant`, `screen-logo`, `screen-status`, `screen-countdown`,
//   `screen-frozen` (banner), `screen-callout`, `screen-podium` (with
//   `podium-1`..`podium-3`), `screen-board` (list; rows `row-<id>`, with
//   `data-rank` and `data-move` = up|down|same|new), `screen-quests`
//   (list; rows `quest-<id>` with `data-done`, chips `quest-<id>-<who>`
//   with `data-status`), `screen-error`

import { events, seg } from './api.js';
import { $, el, fill } from './ui.js';

// Status words that mean a team is through with a quest, across the
// built-in game types (solved riddle, approved mission, captured point,
// done trail step, finished sprint task...). Others show as in progress.
const DONE = new Set(['solved', 'accepted', 'approved', 'done', 'completed', 'captured', 'finished']);
const MAX_QUESTS = 12; // what fits beside the board at 1080p

const token = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
let last = null; // the previous board's ranks: id -> rank
let board = null;
const callouts = [];
let calloutBusy = false;

if (!token) fail('No projector token in the link.');
else connect();

function connect() {
  const path = `/v1/screen/${seg(token)}/stream`;
  let opened = false;
  const stream = events(path, { board: (b) => update(b) }, (state) => {
    if (state === 'open') {
      opened = true;
      $('screen-error').hidden = true;
    } else if (!opened) {
      // Never opened: an unknown or rotated token (404) or the server is
      // down. Ask once to tell the two apart, then let EventSource retry.
      fetch(`/v1/screen/${seg(token)}`).then((r) => {
        if (r.status === 404) {
          stream.close();
          fail('This projector link is no longer valid. Ask for the new one.');
        }
      }).catch(() => fail('Reconnecting…'));
    } else {
      fail('Reconnecting…');
    }
  });
}

function fail(msg) {
  const e = $('screen-error');
  e.textContent = msg;
  e.hidden = false;
}

/** Tenant branding as CSS variables (colours are `#rrggbb`, checked). */
function brand(t) {
  if (!t) return;
  $('screen-tenant').textContent = t.name || 'Veltrix';
  document.title = (t.name || 'Veltrix') + ' · Leaderboard';
  const root = document.documentElement.style;
  if (/^#[0-9a-fA-F]{6}$/.test(t.primary || '')) root.setProperty('--primary', t.primary);
  if (/^#[0-9a-fA-F]{6}$/.test(t.accent || '')) root.setProperty('--accent', t.accent);
  const logo = $('screen-logo');
  if (t.logo_url) {
    if (logo.getAttribute('src') !== t.logo_url) logo.src = t.logo_url;
    logo.hidden = false;
  } else logo.hidden = true;
}

function update(b) {
  board = b;
  $('screen-error').hidden = true;
  brand(b.tenant);
  const status = $('screen-status');
  status.textContent = b.status;
  status.className = 'badge big status-' + b.status;
  $('screen-frozen').hidden = !b.frozen || b.revealed;
  // Teams when the game has them, else players.
  const rows = b.teams && b.teams.length ? b.teams : b.players || [];
  $('screen-board-title').textContent = b.teams && b.teams.length ? 'Teams' : 'Players';
  const prev = last;
  last = new Map(rows.map((r) => [r.id, r.rank]));
  if (prev && !b.frozen) overtakes(prev, rows);
  fill($('screen-board'), rows.slice(0, 12).map((r) => row(r, prev)));
  podium(b.revealed ? rows : null);
  quests(b, rows, b.teams && b.teams.length ? 'teams' : 'players');
  tick();
}

/** Per-quest progress beside the board (hidden with the podium). */
function quests(b, rows, by) {
  const list = (b.quests || []).filter((q) => Object.keys(q[by] || {}).length || q.status);
  const show = list.length > 0 && !b.revealed;
  $('screen-quests-wrap').hidden = !show;
  $('screen-main').classList.toggle('with-quests', show);
  if (!show) return;
  fill($('screen-quests'), list.slice(0, MAX_QUESTS).map((q) => {
    const who = Object.entries(q[by] || {});
    const done = who.filter(([, s]) => DONE.has(s)).length;
    const total = Math.max(rows.length, who.length, 1);
    const bar = el('span', { class: 'quest-fill' });
    bar.style.width = `${Math.round((100 * done) / total)}%`; // CSSOM: allowed by the CSP
    return el('li', { class: 'quest-row', id: `quest-${q.quest_id}`, testid: `quest-${q.quest_id}`, 'data-done': done },
      el('div', { class: 'quest-head' },
        el('span', { class: 'quest-name', text: q.quest_id }),
        q.status ? el('span', { class: 'quest-status', text: q.status }) : null,
        el('span', { class: 'quest-count', text: `${done}/${total}` })),
      el('div', { class: 'quest-bar' }, bar),
      el('div', { class: 'quest-chips' }, who.map(([id, s]) =>
        el('span', { class: 'quest-chip' + (DONE.has(s) ? ' done' : ''), testid: `quest-${q.quest_id}-${id}`, 'data-status': s, text: `${id} · ${s}` }))));
  }));
}

function row(r, prev) {
  const before = prev ? prev.get(r.id) : undefined;
  const move = before === undefined ? (prev ? 'new' : 'same') : r.rank < before ? 'up' : r.rank > before ? 'down' : 'same';
  const arrow = { up: '▲', down: '▼', same: '', new: '★' }[move];
  const delta = before !== undefined && before !== r.rank ? Math.abs(before - r.rank) : '';
  return el('li', { class: `screen-row move-${move}`, id: `row-${r.id}`, testid: `row-${r.id}`, 'data-rank': r.rank, 'data-move': move },
    el('span', { class: 'rank', text: String(r.rank) }),
    el('span', { class: 'name', text: r.id }),
    el('span', { class: 'arrow', 'aria-label': move, text: arrow + (delta ? delta : '') }),
    el('span', { class: 'score', text: r.score.toLocaleString() }));
}

/** "Blue overtakes Red": each climber and whom it passed right now. */
function overtakes(prev, rows) {
  for (const r of rows) {
    const was = prev.get(r.id);
    if (was === undefined || r.rank >= was) continue;
    // Those it now leads that led it before; name the closest one.
    const passed = rows.filter((o) => o.id !== r.id && o.rank > r.rank && prev.has(o.id) && prev.get(o.id) < was)
      .sort((a, b) => a.rank - b.rank);
    if (passed.length) say(`${r.id} overtakes ${passed[0].id}` + (r.rank === 1 ? ' and takes the lead!' : ''));
  }
}

function say(text) {
  callouts.push(text);
  if (callouts.length > 4) callouts.splice(0, callouts.length - 4); // keep up with bursts
  if (!calloutBusy) next();
}

function next() {
  const box = $('screen-callout');
  const text = callouts.shift();
  if (!text) {
    calloutBusy = false;
    box.hidden = true;
    return;
  }
  calloutBusy = true;
  box.textContent = text;
  box.hidden = false;
  box.classList.remove('pop');
  void box.offsetWidth; // restart the animation
  box.classList.add('pop');
  setTimeout(next, 4000);
}

function podium(rows) {
  const p = $('screen-podium');
  if (!rows) {
    p.hidden = true;
    $('screen-board-wrap').hidden = false;
    return;
  }
  const top = rows.filter((r) => r.rank <= 3).slice(0, 3);
  // Second, first, third: the classic podium order.
  const order = [top[1], top[0], top[2]].filter(Boolean);
  fill(p, el('h2', { class: 'podium-title', text: 'And the winners are…' }),
    el('div', { class: 'steps' }, order.map((r) =>
      el('div', { class: `step place-${r.rank}`, id: `podium-${r.rank}`, testid: `podium-${r.rank}` },
        el('div', { class: 'medal', text: ['🥇', '🥈', '🥉'][r.rank - 1] || String(r.rank) }),
        el('div', { class: 'name', text: r.id }),
        el('div', { class: 'score', text: r.score.toLocaleString() + ' pts' }),
        el('div', { class: 'block', text: String(r.rank) })))));
  p.hidden = false;
  $('screen-board-wrap').hidden = true;
}

/** The countdown to `ends_at_ms`, redrawn every second. */
function tick() {
  const c = $('screen-countdown');
  if (!board || !board.ends_at_ms || board.status === 'finished') {
    c.hidden = true;
    return;
  }
  const left = Math.max(0, board.ends_at_ms - Date.now());
  const s = Math.floor(left / 1000);
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  c.textContent = (hh ? `${hh}:` : '') + `${mm}:${ss}`;
  c.classList.toggle('urgent', left < 60000);
  c.hidden = false;
}
setInterval(tick, 1000);
