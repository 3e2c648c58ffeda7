// play.js: the player app, `/play#token=...`. The token comes from the
// URL fragment (never sent to a server in a URL), is kept in
// sessionStorage for this tab, and the fragment is cleared from the
// address bar. Then: the view (status, score, the game type's summary as
// a key/value tree), own points and team standing, one form per player
// action kind (play-forms.js), the outbox (play-queue.js) and the live
// feed (`GET /v1/play/feed`: view, patch, status, delta, lagged).
//
// The game type and its player kinds come from `GET /v1/play/game-type`
// (the game's pinned version); if that fails, a generic form (kind + JSON
// payload) is shown.
//
// Ids: `play-notoken`, `play-game`, `play-status`, `play-conn`,
//   `play-score`, `play-me`, `play-team-name`, `play-team-rank`,
//   `play-team-score`, `play-outcome` (`outcome-result`, `outcome-message`,
//   `outcome-paid`, `outcome-totals`), `play-queue`, `play-queue-count`,
//   `play-actions` (forms: see play-forms.js), `play-view`, `play-feed`.

import { api, bearerEvents } from './api.js';
import { $, el, fill, show, toast, showError, kvTree, badge } from './ui.js';
import { ActionQueue } from './play-queue.js';
import { actionForm, genericForm } from './play-forms.js';

const TOKEN_KEY = 'vx.play.token';
const state = { view: null, team: null, playerId: null, queue: null };

function takeToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    // The token must not stay in the address bar (history, screenshots).
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const token = takeToken();
const auth = () => ({ token });

if (!token) show('play-notoken', true);
else start().catch(showError);

async function start() {
  show('play-app', true);
  const view = await api('GET', '/v1/play/view', auth());
  state.playerId = view.player_id;
  setView(view);
  $('play-game').textContent = view.game_id;
  state.queue = new ActionQueue(`${view.game_id}:${view.player_id}`, {
    token: () => token,
    onAnswer: (entry, answer) => outcome(entry.body.kind, answer),
    onRefused: (entry, err) => refused(entry.body.kind, err),
    onChange: showQueue,
    onAuth: (err) => toast('Your link is no longer valid: ' + err.message, 'error'),
  });
  showQueue(state.queue.entries());
  state.queue.flush();
  await Promise.all([standings(), forms(view)]);
  feed();
}

function setView(v) {
  state.view = { ...(state.view || {}), ...v };
  const s = $('play-status');
  s.textContent = state.view.status;
  s.className = 'badge status-' + state.view.status;
  $('play-score').textContent = String(state.view.score ?? 0);
  fill($('play-view'), kvTree(state.view.summary));
}

/** Own points and rank; the team's rank and points. */
async function standings() {
  const [players, teams] = await Promise.all([
    api('GET', '/v1/play/leaderboard?board=players&n=3', auth()).catch(() => null),
    api('GET', '/v1/play/leaderboard?board=teams&n=3', auth()).catch(() => null),
  ]);
  if (players && players.me) $('play-me').textContent = `${state.playerId} · rank ${players.me.rank}`;
  else $('play-me').textContent = state.playerId || '';
  if (teams && teams.me) {
    state.team = teams.me.id;
    $('play-team-name').textContent = 'Team ' + teams.me.id;
    $('play-team-rank').textContent = '#' + teams.me.rank;
    $('play-team-score').textContent = `${teams.me.score} pts`;
  } else {
    $('play-team-name').textContent = teams && teams.top.length ? 'Team' : 'Solo';
    $('play-team-rank').textContent = '–';
  }
  return { players, teams };
}

let standingsTimer = null;
function refreshStandings() {
  clearTimeout(standingsTimer);
  standingsTimer = setTimeout(() => standings().catch(() => {}), 300);
}

async function forms(view) {
  const holder = $('play-actions');
  // The game's own type, at the version the game is pinned to.
  const type = await api('GET', '/v1/play/game-type', auth()).catch(() => null);
  const submit = (body) => {
    state.queue.add(body);
    // Online, the queue line and then the outcome card say what happens;
    // a "sending" notice would outlive the answer.
    if (!navigator.onLine) toast(`${body.kind}: saved, will send when back online`);
  };
  if (!type) return fill(holder, genericForm([], submit));
  const kinds = type.actions.filter((a) => a.roles.includes('player'));
  if (!kinds.length) return fill(holder, genericForm(type.action_kinds || [], submit));
  fill(holder, kinds.map((a) => actionForm(a, () => token, submit)));
}

function outcome(kind, a) {
  const ok = a.result === 'applied';
  const me = a.totals && a.totals.players ? a.totals.players[state.playerId] : undefined;
  const team = a.totals && a.totals.teams && state.team ? a.totals.teams[state.team] : undefined;
  const paid = (a.paid || []).filter((p) => p.player === state.playerId || p.team === state.team);
  const card = $('play-outcome');
  fill(card,
    el('div', { class: 'card-head' }, el('h2', { text: kind }), badge(a.result, { id: 'outcome-result', testid: 'outcome-result' })),
    el('p', { id: 'outcome-message', testid: 'outcome-message', text: a.message || (ok ? 'Done!' : '') }),
    el('ul', { id: 'outcome-paid', testid: 'outcome-paid', class: 'paid' },
      paid.map((p) => el('li', { class: p.points >= 0 ? 'plus' : 'minus', text: `${p.points > 0 ? '+' : ''}${p.points} ${p.reward_type}` }))),
    el('p', { id: 'outcome-totals', testid: 'outcome-totals', class: 'muted small',
      text: [me !== undefined ? `You: ${me} pts` : null, team !== undefined ? `Team ${state.team}: ${team} pts` : null].filter(Boolean).join(' · ') }));
  card.className = 'card outcome-card ' + (ok ? 'ok' : 'bad');
  card.hidden = false;
  if (me !== undefined) $('play-score').textContent = String(me);
  if (a.status) setView({ status: a.status });
  refreshStandings();
}

function refused(kind, err) {
  outcome(kind, { result: 'refused', message: err.message });
}

function showQueue(list) {
  show('play-queue', list.length > 0);
  $('play-queue-count').textContent = String(list.length);
  fill($('play-queue-list'), list.map((e) =>
    el('li', { testid: 'queued-' + e.key }, el('strong', { text: e.body.kind }), ' ',
      el('span', { class: 'muted', text: `${e.state}, ${e.attempts} attempt(s), since ${new Date(e.at).toLocaleTimeString()}` }))));
}

/** RFC 7386 merge patch, plus the API's extension: an object patching an array patches its elements by index. */
export function merge(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (Array.isArray(target)) {
    const out = target.slice();
    for (const [k, v] of Object.entries(patch)) out[Number(k)] = merge(out[Number(k)], v);
    return out;
  }
  const out = target && typeof target === 'object' ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

function line(text, cls = '') {
  const list = $('play-feed');
  list.prepend(el('li', { class: 'feed-item ' + cls }, el('small', { class: 'muted', text: new Date().toLocaleTimeString() + ' ' }), text));
  while (list.children.length > 50) list.lastChild.remove();
}

function feed() {
  bearerEvents('/v1/play/feed', token, {
    view: (v) => setView(v),
    patch: (p) => {
      setView(merge(state.view, p));
      refreshStandings();
    },
    status: (s) => {
      setView({ status: s.status });
      line(`The game is ${s.status}`, 'status');
    },
    delta: (d) => {
      line(`${d.points > 0 ? '+' : ''}${d.points} points`, d.points >= 0 ? 'plus' : 'minus');
      refreshStandings();
    },
    lagged: () => api('GET', '/v1/play/view', auth()).then(setView).catch(() => {}),
  }, (s, err) => {
    const c = $('play-conn');
    c.textContent = s === 'open' ? 'live' : s === 'gone' ? 'ended' : 'reconnecting';
    c.className = 'chip ' + (s === 'open' ? 'ok' : 'warn');
    if (s === 'gone') toast(err.message, 'error');
    if (s === 'open' && state.queue) state.queue.flush();
  });
}
