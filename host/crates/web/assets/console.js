// console.js: the tenant console's shell: sign-in, the game-type
// catalogue (enable/disable), the new-game form, the games list and the
// branding form. The open game's panel is console-game.js.
//
// Ids (see also console.html and session.js):
//   catalogue: `catalogue` (list), per type `type-<name>` (item),
//     `toggle-<name>` (enable checkbox), `newgame-<name>` (button);
//     `catalogue-refresh`
//   new game: `newgame-card`, `newgame-id`, `newgame-seed`, form fields
//     `newgame-field-<path>` (schema-form.js), `newgame-errors`,
//     `newgame-reset`, `newgame-submit`, `newgame-close`
//   games: `games-list`, per game `game-<id>` (open button), `games-refresh`
//   branding: `brand-name`, `brand-logo`, `brand-primary`, `brand-accent`,
//     `brand-submit`
//   operator sessions: `tenant-pick-id`, `tenant-pick-go`

import { api, seg } from './api.js';
import { requireSession } from './session.js';
import { $, el, fill, show, busy, toast, badge, fmtTime } from './ui.js';
import { schemaForm } from './schema-form.js';
import { openGame } from './console-game.js';

const ctx = { tenant: null, catalogue: [], enabled: new Map(), form: null, type: null };

requireSession(['tenant', 'operator'], (s) => {
  if (s.tenant_id) return start(s.tenant_id);
  // An operator may manage any tenant: ask which.
  show('tenant-pick', true);
  $('tenant-pick-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('tenant-pick-id').value.trim();
    if (t) start(t);
  });
});

function start(tenant) {
  ctx.tenant = tenant;
  show('tenant-pick', false);
  show('console-main', true);
  $('catalogue-refresh').addEventListener('click', (e) => busy(e.target, loadCatalogue));
  $('games-refresh').addEventListener('click', (e) => busy(e.target, loadGames));
  $('newgame-close').addEventListener('click', () => show('newgame-card', false));
  $('newgame-reset').addEventListener('click', () => ctx.form && ctx.form.set(ctx.type.example_config));
  $('newgame').addEventListener('submit', createGame);
  $('brand-form').addEventListener('submit', saveBranding);
  busy(null, loadCatalogue);
  busy(null, loadGames);
}

const base = () => `/v1/tenants/${seg(ctx.tenant)}`;

/** The catalogue (descriptions, schemas) joined with the tenant's settings. */
async function loadCatalogue() {
  const [cat, mine] = await Promise.all([api('GET', '/v1/game-types'), api('GET', base() + '/game-types')]);
  ctx.catalogue = cat.game_types;
  ctx.enabled = new Map(mine.game_types.map((g) => [g.game_type, g.enabled]));
  fill($('catalogue'), ctx.catalogue.map(typeItem));
}

function typeItem(t) {
  const on = ctx.enabled.get(t.name) === true;
  const toggle = el('input', {
    type: 'checkbox', class: 'switch', id: `toggle-${t.name}`, testid: `toggle-${t.name}`,
    checked: on, 'aria-label': `Enable ${t.name}`,
    on: { change: (e) => busy(null, () => setEnabled(t, e.target)) },
  });
  const create = el('button', {
    class: 'btn small', id: `newgame-${t.name}`, testid: `newgame-${t.name}`, text: 'New game', disabled: !on,
    on: { click: () => newGame(t) },
  });
  return el('li', { class: 'type-item', id: `type-${t.name}`, testid: `type-${t.name}` },
    el('div', { class: 'type-head' },
      el('strong', { text: t.name }),
      el('span', { class: 'chip', text: 'v' + t.version }),
      el('span', { class: 'chip ' + (t.source === 'partner' ? 'accent' : ''), text: t.source }),
      el('span', { class: 'spacer' }),
      el('label', { class: 'switch-label' }, toggle, el('span', { text: on ? 'enabled' : 'disabled' }))),
    el('p', { class: 'muted small', text: t.description || 'No description.' }),
    el('div', { class: 'row' }, create));
}

async function setEnabled(t, box) {
  const want = box.checked;
  box.disabled = true;
  try {
    await api('PUT', `${base()}/game-types/${seg(t.name)}`, { json: { enabled: want } });
    ctx.enabled.set(t.name, want);
    toast(`${t.name} ${want ? 'enabled' : 'disabled'}`);
  } catch (e) {
    box.checked = !want;
    throw e;
  } finally {
    box.disabled = false;
    fill($('catalogue'), ctx.catalogue.map(typeItem));
  }
}

/** Opens the new-game form for `t`, generated from its config schema. */
function newGame(t) {
  ctx.type = t;
  $('newgame-type-name').textContent = t.name;
  $('newgame-desc').textContent = t.description || '';
  ctx.form = schemaForm(t.config_schema || {}, structuredClone(t.example_config ?? {}), 'newgame');
  fill($('newgame-config'), ctx.form.element);
  show('newgame-card', true);
  $('newgame-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
  $('newgame-id').focus();
}

async function createGame(e) {
  e.preventDefault();
  const id = $('newgame-id').value.trim();
  const errs = ctx.form.validate();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id) || id === '.' || id === '..') {
    errs.unshift({ message: 'Game id: 1-64 characters of letters, digits, _ . -' });
    ctx.form.show(errs);
  }
  if (errs.length) return toast(errs[0].message, 'error');
  const body = { game_id: id, game_type: ctx.type.name, config: ctx.form.read() ?? {} };
  const seed = $('newgame-seed').value.trim();
  if (seed !== '') body.seed = Number(seed);
  await busy($('newgame-submit'), async () => {
    const g = await api('POST', base() + '/games', { json: body });
    toast(`Game ${g.game_id} created`);
    show('newgame-card', false);
    $('newgame-id').value = '';
    await loadGames();
    open(g.game_id);
  });
}

async function loadGames() {
  const { games } = await api('GET', base() + '/games');
  const list = $('games-list');
  if (!games.length) return fill(list, el('li', { class: 'muted', text: 'No games yet.' }));
  fill(list, games.map((g) =>
    el('li', {},
      el('button', { class: 'game-row', id: `game-${g.game_id}`, testid: `game-${g.game_id}`, on: { click: () => open(g.game_id) } },
        el('span', { class: 'grow' }, el('strong', { text: g.game_id }), el('br'), el('small', { class: 'muted', text: `${g.game_type} · ${fmtTime(g.created_at_ms)}` })),
        badge(g.status)))));
}

function open(gameId) {
  document.querySelectorAll('.game-row.active').forEach((n) => n.classList.remove('active'));
  const row = $(`game-${gameId}`);
  if (row) row.classList.add('active');
  show('game-empty', false);
  busy(null, () => openGame({ tenant: ctx.tenant, gameId, catalogue: ctx.catalogue, onChange: loadGames }));
}

async function saveBranding(e) {
  e.preventDefault();
  const body = { name: $('brand-name').value.trim(), primary: $('brand-primary').value, accent: $('brand-accent').value };
  const logo = $('brand-logo').value.trim();
  if (logo) body.logo_url = logo;
  if (!body.name) return toast('Branding: the name is required', 'error');
  await busy($('brand-submit'), async () => {
    await api('PUT', base() + '/branding', { json: body });
    toast('Branding saved');
  });
}
