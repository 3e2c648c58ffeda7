// console-game.js: the open game's panel in the console: status and
// standings, game-master controls, the judge queue, the live activity
// feed (SSE), results CSV and the projector. Players: console-players.js.
//
// Ids:
//   `game-title`, `game-status`, `game-refresh`, `results-csv` (link),
//   `game-scores`
//   game master: `gm-start`, `gm-pause`, `gm-resume`, `gm-end` (two clicks:
//     the first arms it);
//     `gm-player` (select), `gm-points`, `gm-reason`, `gm-grant`, `gm-revoke`;
//     `gm-kind` (select of the other game-master kinds), fields
//     `gm-field-<path>`, `gm-submit`; `gm-outcome` (last answer)
//   judge queue: `judge-queue`, per entry `judge-<action_id>`,
//     `judge-approve-<action_id>`, `judge-reject-<action_id>`
//   activity: `activity` (list, newest first), `activity-state`
//   projector: `projector-create`, `projector-link`, `projector-freeze`,
//     `projector-unfreeze`, `projector-reveal`, `projector-hide`,
//     `projector-state`

import { api, events, seg } from './api.js';
import { $, el, fill, busy, toast, badge, fmtTime, kvTree, armed } from './ui.js';
import { schemaForm } from './schema-form.js';
import { playersCard } from './console-players.js';

const LIFECYCLE = ['start', 'pause', 'resume', 'end', 'grant', 'revoke'];
let current = null; // the open game's context; its activity feed is closed on switch

/** Kinds of `type` that a role may send (`game-master` in the catalogue). */
export function kindsFor(type, role) {
  const alt = role.replace('-', '_');
  return (type && type.actions ? type.actions : []).filter((a) => a.roles.includes(role) || a.roles.includes(alt));
}

/** Opens `gameId` in the panel. */
export async function openGame({ tenant, gameId, catalogue, onChange }) {
  if (current && current.feed) current.feed.close();
  const base = `/v1/tenants/${seg(tenant)}/games/${seg(gameId)}`;
  const game = await api('GET', base);
  const type = catalogue.find((t) => t.name === game.game_type) || null;
  const ctx = { tenant, gameId, base, game, type, onChange, players: [], queue: new Map(), judged: loadJudged(tenant, gameId), projector: { token: null, frozen: false, revealed: false } };
  current = ctx;
  const panel = $('game-panel');
  fill(panel, headerCard(ctx), gmCard(ctx), playersCard(ctx), judgeCard(ctx), activityCard(ctx), projectorCard(ctx));
  panel.hidden = false;
  panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
  startActivity(ctx);
}

function headerCard(ctx) {
  const g = ctx.game;
  return el('section', { class: 'card' },
    el('div', { class: 'card-head' },
      el('h2', { id: 'game-title', testid: 'game-title', text: g.game_id }),
      badge(g.status, { id: 'game-status', testid: 'game-status' }),
      el('span', { class: 'spacer' }),
      el('button', { class: 'btn ghost small', id: 'game-refresh', testid: 'game-refresh', text: 'Refresh', on: { click: (e) => busy(e.target, () => refresh(ctx)) } })),
    el('p', { class: 'muted small', text: `${g.game_type} · created ${fmtTime(g.created_at_ms)}` }),
    el('div', { id: 'game-scores', testid: 'game-scores', class: 'scores' }, scores(g)),
    el('a', { class: 'btn', id: 'results-csv', testid: 'results-csv', href: `${ctx.base}/results.csv`, download: `${g.game_id}-results.csv`, text: 'Download results CSV' }));
}

function scores(g) {
  const board = (title, rows) => el('div', { class: 'board' }, el('h3', { text: title }),
    rows.length ? el('ol', { class: 'standings' }, rows.map((r) => el('li', {}, el('span', { text: r.id }), el('strong', { text: String(r.score) }))))
      : el('p', { class: 'muted small', text: 'No points yet.' }));
  return [board('Teams', (g.scores && g.scores.teams) || []), board('Players', (g.scores && g.scores.players) || [])];
}

async function refresh(ctx) {
  ctx.game = await api('GET', ctx.base);
  const s = $('game-status');
  s.replaceWith(badge(ctx.game.status, { id: 'game-status', testid: 'game-status' }));
  fill($('game-scores'), scores(ctx.game));
}

/** Sends a game-master action; shows and answers its outcome. */
async function gm(ctx, kind, payload, button) {
  return busy(button, async () => {
    const out = await api('POST', `${ctx.base}/gm`, { json: payload === undefined ? { kind } : { kind, payload } });
    showOutcome(out, kind);
    if (out.status) $('game-status').replaceWith(badge(out.status, { id: 'game-status', testid: 'game-status' }));
    if (out.result === 'applied') ctx.onChange();
    return out;
  });
}

function showOutcome(out, kind) {
  const ok = out.result === 'applied';
  fill($('gm-outcome'),
    el('div', { class: 'outcome ' + (ok ? 'ok' : out.result === 'pending' ? 'pending' : 'bad') },
      el('strong', { text: `${kind}: ${out.result}` }), out.message ? ' — ' + out.message : '',
      out.paid && out.paid.length ? el('div', { class: 'small', text: out.paid.map((p) => `${p.player} ${p.points > 0 ? '+' : ''}${p.points}`).join(', ') }) : null));
  toast(`${kind}: ${out.result}${out.message ? ' — ' + out.message : ''}`, ok ? 'info' : 'error');
}

function gmCard(ctx) {
  const life = ['start', 'pause', 'resume', 'end'].map((k) =>
    el('button', { class: 'btn' + (k === 'start' ? ' primary' : k === 'end' ? ' danger' : ''), id: `gm-${k}`, testid: `gm-${k}`, text: k[0].toUpperCase() + k.slice(1),
      on: { click: (e) => (k !== 'end' || armed(e.target, 'End', 'Confirm end')) && gm(ctx, k, undefined, e.target) } }));
  const player = el('select', { id: 'gm-player', testid: 'gm-player' }, el('option', { value: '', text: 'player…' }));
  const points = el('input', { id: 'gm-points', testid: 'gm-points', type: 'number', min: 1, step: 1, value: 10, inputmode: 'numeric' });
  const reason = el('input', { id: 'gm-reason', testid: 'gm-reason', placeholder: 'reason (shown in the history)' });
  const adjust = (kind) => (e) => {
    const p = player.value;
    const n = Number(points.value);
    if (!p) return toast(`${kind}: choose a player`, 'error');
    if (!Number.isInteger(n) || n < 1) return toast(`${kind}: points must be a whole number of at least 1`, 'error');
    const who = ctx.players.find((x) => x.player_id === p);
    // The id makes a retry pay once (the reward key derives from it).
    const payload = { id: `${kind}-${Date.now().toString(36)}`, player: p, points: n, reason: reason.value.trim() };
    if (who && who.team_id) payload.team = who.team_id;
    gm(ctx, kind, fitTo(kindSchema(ctx, kind), payload), e.target);
  };
  ctx.setPlayers = (list) => {
    ctx.players = list;
    fill(player, el('option', { value: '', text: 'player…' }), list.map((p) => el('option', { value: p.player_id, text: p.player_id + (p.team_id ? ` (${p.team_id})` : '') })));
  };
  return el('section', { class: 'card', id: 'gm-card' },
    el('h2', { text: 'Game master' }),
    el('div', { class: 'row wrap-row' }, life),
    el('h3', { text: 'Grant or revoke points' }),
    el('div', { class: 'row wrap-row' }, player, points, reason,
      el('button', { class: 'btn', id: 'gm-grant', testid: 'gm-grant', text: 'Grant', on: { click: adjust('grant') } }),
      el('button', { class: 'btn danger', id: 'gm-revoke', testid: 'gm-revoke', text: 'Revoke', on: { click: adjust('revoke') } })),
    otherKinds(ctx),
    el('div', { id: 'gm-outcome', testid: 'gm-outcome', 'aria-live': 'polite' }));
}


function kindSchema(ctx, kind) {
  const a = kindsFor(ctx.type, 'game-master').find((x) => x.kind === kind);
  return a ? a.payload_schema : null;
}

/** Keeps only the members a payload schema declares (when it declares some). */
function fitTo(schema, payload) {
  if (!schema || !schema.properties) return payload;
  return Object.fromEntries(Object.entries(payload).filter(([k]) => k in schema.properties));
}

/** A generic form for every other game-master kind (e.g. `judge`, `tick`). */
function otherKinds(ctx) {
  const kinds = kindsFor(ctx.type, 'game-master').filter((a) => !LIFECYCLE.includes(a.kind));
  if (!kinds.length) return null;
  const holder = el('div');
  const desc = el('p', { class: 'muted small' });
  let form = null;
  const pick = el('select', { id: 'gm-kind', testid: 'gm-kind', on: { change: () => choose() } }, kinds.map((a) => el('option', { value: a.kind, text: a.kind })));
  const choose = () => {
    const a = kinds.find((x) => x.kind === pick.value);
    desc.textContent = a.description || '';
    form = schemaForm(a.payload_schema || {}, {}, 'gm');
    fill(holder, form.element);
  };
  choose();
  const send = el('button', { class: 'btn primary', id: 'gm-submit', testid: 'gm-submit', text: 'Send', on: {
    click: (e) => {
      if (form.validate().length) return;
      gm(ctx, pick.value, form.read() ?? {}, e.target);
    },
  } });
  return el('div', { class: 'stack' }, el('h3', { text: 'Other actions' }), pick, desc, holder, send);
}

// ---- judge queue: evidence waiting for the game master ----

function loadJudged(tenant, game) {
  try {
    return new Set(JSON.parse(localStorage.getItem(`vx.judged.${tenant}.${game}`) || '[]'));
  } catch {
    return new Set();
  }
}

function judgeCard() {
  return el('section', { class: 'card' }, el('h2', { text: 'Judge queue' }),
    el('ul', { id: 'judge-queue', testid: 'judge-queue', class: 'list' }, el('li', { class: 'muted', text: 'No evidence waiting.' })));
}

function evidenceKinds(ctx) {
  return new Set((ctx.type ? ctx.type.actions : []).filter((a) => a.takes_evidence).map((a) => a.kind));
}

function renderQueue(ctx) {
  const items = [...ctx.queue.values()].filter((o) => !ctx.judged.has(o.action_id)).sort((a, b) => b.applied_at_ms - a.applied_at_ms);
  const list = $('judge-queue');
  if (!list) return;
  if (!items.length) return fill(list, el('li', { class: 'muted', text: 'No evidence waiting.' }));
  fill(list, items.map((o) => {
    const team = (ctx.players.find((p) => p.player_id === o.player_id) || {}).team_id || o.player_id;
    const decide = (verdict) => (e) => judge(ctx, o, team, verdict, e.target);
    return el('li', { class: 'judge-item', testid: `judge-${o.action_id}`, id: `judge-${o.action_id}` },
      el('div', { class: 'row' }, el('strong', { text: o.player_id }), el('span', { class: 'chip', text: team }), el('span', { class: 'chip', text: o.kind }),
        el('span', { class: 'spacer' }), el('small', { class: 'muted', text: fmtTime(o.applied_at_ms) })),
      kvTree(o.payload), evidencePreview(ctx, o.payload),
      el('div', { class: 'row' },
        el('button', { class: 'btn primary', testid: `judge-approve-${o.action_id}`, id: `judge-approve-${o.action_id}`, text: 'Approve', on: { click: decide('approve') } }),
        el('button', { class: 'btn danger', testid: `judge-reject-${o.action_id}`, id: `judge-reject-${o.action_id}`, text: 'Reject', on: { click: decide('reject') } })));
  }));
}

/** Shows stored evidence (an id: 64 hex) as an image or its text. */
function evidencePreview(ctx, payload) {
  const box = el('div', { class: 'evidence' });
  const ids = Object.values(payload || {}).filter((v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v));
  for (const id of ids) {
    fetch(`/v1/tenants/${seg(ctx.tenant)}/evidence/${id}`, { credentials: 'same-origin' }).then(async (r) => {
      if (!r.ok) return box.append(el('small', { class: 'muted', text: `evidence ${id.slice(0, 8)}… unavailable (${r.status})` }));
      const type = r.headers.get('content-type') || '';
      if (type.startsWith('image/')) box.append(el('img', { src: URL.createObjectURL(await r.blob()), alt: 'evidence photo', class: 'evidence-img' }));
      else box.append(el('blockquote', { text: await r.text() }));
    }).catch(() => {});
  }
  return box;
}

/** Sends the judge kind with what the submission and the verdict say. */
async function judge(ctx, o, team, verdict, button) {
  const kinds = kindsFor(ctx.type, 'game-master');
  const a = kinds.find((k) => k.kind === 'judge') || kinds.find((k) => k.payload_schema && k.payload_schema.properties && 'verdict' in k.payload_schema.properties);
  if (!a) return toast('This game type declares no judge action', 'error');
  const props = (a.payload_schema && a.payload_schema.properties) || {};
  const known = { ...o.payload, team, player: o.player_id, player_id: o.player_id, action_id: o.action_id, verdict };
  const payload = Object.fromEntries(Object.keys(props).filter((k) => known[k] !== undefined).map((k) => [k, known[k]]));
  const out = await gm(ctx, a.kind, payload, button);
  if (out && out.result === 'applied') {
    ctx.judged.add(o.action_id);
    localStorage.setItem(`vx.judged.${ctx.tenant}.${ctx.gameId}`, JSON.stringify([...ctx.judged].slice(-500)));
    renderQueue(ctx);
  }
}

// ---- live activity ----

function activityCard() {
  return el('section', { class: 'card' },
    el('div', { class: 'card-head' }, el('h2', { text: 'Live activity' }), el('span', { id: 'activity-state', testid: 'activity-state', class: 'chip', text: 'connecting' })),
    el('ol', { id: 'activity', testid: 'activity', class: 'feed' }));
}

function startActivity(ctx) {
  const evidence = evidenceKinds(ctx);
  ctx.feed = events(`${ctx.base}/activity`, {
    outcome: (o) => {
      if (ctx !== current) return;
      const list = $('activity');
      const pts = (o.paid || []).reduce((n, p) => n + p.points, 0);
      list.prepend(el('li', { class: 'feed-item ' + o.result, testid: 'activity-item' },
        el('small', { class: 'muted', text: new Date(o.applied_at_ms).toLocaleTimeString() }), ' ',
        el('strong', { text: o.player_id }), ` ${o.kind} `, badge(o.result),
        o.message ? el('span', { class: 'muted', text: ' ' + o.message }) : null,
        pts ? el('span', { class: 'points', text: ` ${pts > 0 ? '+' : ''}${pts}` }) : null));
      while (list.children.length > 200) list.lastChild.remove();
      if (o.status) $('game-status').replaceWith(badge(o.status, { id: 'game-status', testid: 'game-status' }));
      if (o.payload && o.result === 'applied' && (evidence.size === 0 || evidence.has(o.kind))) {
        ctx.queue.set(o.action_id, o);
        renderQueue(ctx);
      }
    },
  }, (s) => {
    const n = $('activity-state');
    if (n) n.textContent = s === 'open' ? 'live' : 'reconnecting…';
  });
}

// ---- projector ----

function projectorCard(ctx) {
  const p = ctx.projector;
  const link = el('div', { id: 'projector-link', testid: 'projector-link', class: 'muted small', text: 'No link shown yet: create one (an older link stops working).' });
  const state = el('span', { id: 'projector-state', testid: 'projector-state', class: 'chip', text: 'live' });
  const put = (frozen, revealed) => async (e) => busy(e.target, async () => {
    await api('PUT', `${ctx.base}/projector`, { json: { frozen, revealed } });
    Object.assign(p, { frozen: revealed ? false : frozen, revealed });
    state.textContent = p.revealed ? 'podium' : p.frozen ? 'frozen' : 'live';
  });
  const create = async (e) => busy(e.target, async () => {
    const r = await api('POST', `${ctx.base}/projector`);
    p.token = r.token;
    const url = location.origin + r.path;
    fill(link, el('a', { href: r.path, target: '_blank', rel: 'noopener noreferrer', text: url }));
    toast('Projector link ready');
  });
  return el('section', { class: 'card' },
    el('div', { class: 'card-head' }, el('h2', { text: 'Projector' }), state),
    el('div', { class: 'row wrap-row' },
      el('button', { class: 'btn primary', id: 'projector-create', testid: 'projector-create', text: 'Create / rotate link', on: { click: create } }),
      el('button', { class: 'btn', id: 'projector-freeze', testid: 'projector-freeze', text: 'Freeze', on: { click: (e) => put(true, p.revealed)(e) } }),
      el('button', { class: 'btn', id: 'projector-unfreeze', testid: 'projector-unfreeze', text: 'Unfreeze', on: { click: (e) => put(false, p.revealed)(e) } }),
      el('button', { class: 'btn accent', id: 'projector-reveal', testid: 'projector-reveal', text: 'Reveal podium', on: { click: (e) => put(false, true)(e) } }),
      el('button', { class: 'btn ghost', id: 'projector-hide', testid: 'projector-hide', text: 'Hide podium', on: { click: (e) => put(p.frozen, false)(e) } })),
    link);
}
