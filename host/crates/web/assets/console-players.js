// console-players.js: the players card of the console's game panel: who
// holds a live token, add one player, import a CSV, and the join links
// issued here with their QR codes and a CSV download.
//
// Join links carry a token, shown only when it is issued: they are kept
// in memory for this page (never in storage) and are gone on reload.
// Each listed player has a "link" button that issues a new token (the
// player's earlier links keep working) and shows its link and QR code.
//
// Ids: `players-list`, `player-id`, `player-team`, `player-add`,
//   `csv-text`, `csv-file`, `csv-import`, `links` (list), per link
//   `relink-<player>` (new link button), `link-<player>` (row), `link-url-<player>` (the URL), `qr-<player>`
//   (QR image), `links-csv` (download button)

import { api, send } from './api.js';
import { $, el, fill, busy, toast, download, qrImage, csvField } from './ui.js';

/** The card; loads the players and hands them to the GM controls. */
export function playersCard(ctx) {
  ctx.links = new Map(); // player_id -> {team_id, url}
  const card = el('section', { class: 'card', id: 'players-card' },
    el('div', { class: 'card-head' }, el('h2', { text: 'Players' })),
    el('ul', { id: 'players-list', testid: 'players-list', class: 'chips-list' }),
    el('h3', { text: 'Add a player' }),
    el('form', { class: 'row wrap-row', on: { submit: (e) => addOne(e, ctx) } },
      el('input', { id: 'player-id', testid: 'player-id', placeholder: 'player id', required: true, autocomplete: 'off' }),
      el('input', { id: 'player-team', testid: 'player-team', placeholder: 'team (optional)', autocomplete: 'off' }),
      el('button', { class: 'btn primary', id: 'player-add', testid: 'player-add', type: 'submit', text: 'Add' })),
    el('h3', { text: 'Import CSV' }),
    el('p', { class: 'muted small', text: 'Header row player_id,team_id (team optional). All rows are created, or none.' }),
    el('textarea', { id: 'csv-text', testid: 'csv-text', rows: 4, spellcheck: 'false', placeholder: 'player_id,team_id\nada,red\nbob,blue' }),
    el('div', { class: 'row wrap-row' },
      el('input', { type: 'file', id: 'csv-file', testid: 'csv-file', accept: '.csv,text/csv,text/plain', on: { change: (e) => readFile(e.target) } }),
      el('button', { class: 'btn', id: 'csv-import', testid: 'csv-import', text: 'Import', on: { click: (e) => importCsv(e.target, ctx) } })),
    el('div', { class: 'card-head' }, el('h3', { text: 'Join links' }),
      el('button', { class: 'btn small', id: 'links-csv', testid: 'links-csv', text: 'Download links CSV', on: { click: () => linksCsv(ctx) } })),
    el('ul', { id: 'links', testid: 'links', class: 'links' }, el('li', { class: 'muted small', text: 'Links appear here as players are added.' })));
  busy(null, () => loadPlayers(ctx));
  return card;
}

async function loadPlayers(ctx) {
  const { players } = await api('GET', `${ctx.base}/players`);
  fill($('players-list'), players.length
    ? players.map((p) => el('li', { class: 'chip', testid: `player-${p.player_id}` },
      p.player_id + (p.team_id ? ` · ${p.team_id}` : ''), ' ',
      el('button', { type: 'button', class: 'link-btn', testid: `relink-${p.player_id}`, title: `Issue a new join link for ${p.player_id}`, text: 'link', on: { click: (e) => relink(e.target, ctx, p) } })))
    : [el('li', { class: 'muted small', text: 'No players yet.' })]);
  if (ctx.setPlayers) ctx.setPlayers(players);
}

async function addOne(e, ctx) {
  e.preventDefault();
  const id = $('player-id').value.trim();
  const team = $('player-team').value.trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) return toast('Player id: 1-64 characters of letters, digits, _ . -', 'error');
  if (team && !/^[A-Za-z0-9_.-]{1,64}$/.test(team)) return toast('Team: 1-64 characters of letters, digits, _ . -', 'error');
  await busy($('player-add'), async () => {
    const t = await api('POST', `${ctx.base}/players`, { json: team ? { player_id: id, team_id: team } : { player_id: id } });
    addLinks(ctx, [t]);
    $('player-id').value = '';
    toast(`Player ${id} added`);
    await loadPlayers(ctx);
  });
}

/** A new token for a listed player: the link and QR code appear below. */
async function relink(button, ctx, p) {
  await busy(button, async () => {
    const body = p.team_id ? { player_id: p.player_id, team_id: p.team_id } : { player_id: p.player_id };
    const t = await api('POST', `${ctx.base}/players`, { json: body });
    addLinks(ctx, [t]);
    toast(`New join link for ${p.player_id}`);
  });
}

function readFile(input) {
  const f = input.files && input.files[0];
  if (!f) return;
  if (f.size > 1024 * 1024) return toast('CSV file: over 1 MiB', 'error');
  f.text().then((t) => ($('csv-text').value = t));
}

async function importCsv(button, ctx) {
  const text = $('csv-text').value.trim();
  if (!text) return toast('CSV import: paste rows or choose a file', 'error');
  const head = text.split(/\r?\n/, 1)[0].replace(/\s/g, '');
  if (!/^player_id(,team_id)?$/.test(head)) return toast('CSV import: line 1 must be the header player_id,team_id', 'error');
  await busy(button, async () => {
    const { data } = await send('POST', `${ctx.base}/players/import`, { body: text + '\n', type: 'text/csv' });
    addLinks(ctx, data.players);
    toast(`${data.players.length} player(s) imported`);
    $('csv-text').value = '';
    await loadPlayers(ctx);
  });
}

/** Lists join links for freshly issued tokens, with their QR codes. */
function addLinks(ctx, issued) {
  const list = $('links');
  if (ctx.links.size === 0) list.replaceChildren();
  for (const p of issued) {
    const url = `${location.origin}/play#token=${p.token}`;
    ctx.links.set(p.player_id, { team_id: p.team_id || '', url });
    const old = $(`link-${p.player_id}`);
    const qr = el('div', { class: 'qr-box' });
    const row = el('li', { class: 'link-row', id: `link-${p.player_id}`, testid: `link-${p.player_id}` },
      qr,
      el('div', { class: 'grow' },
        el('strong', { text: p.player_id }), p.team_id ? el('span', { class: 'chip', text: p.team_id }) : null,
        el('input', { class: 'mono', readonly: true, value: url, id: `link-url-${p.player_id}`, testid: `link-url-${p.player_id}`, on: { focus: (e) => e.target.select() } })));
    if (old) old.replaceWith(row);
    else list.prepend(row);
    qrImage(url, { id: `qr-${p.player_id}`, 'data-testid': `qr-${p.player_id}` }).then((img) => qr.append(img)).catch(() => qr.append(el('small', { class: 'muted', text: 'QR unavailable' })));
  }
}

function linksCsv(ctx) {
  if (!ctx.links.size) return toast('No join links issued on this page yet', 'error');
  const lines = ['player_id,team_id,link'];
  for (const [id, l] of ctx.links) lines.push([id, l.team_id, l.url].map(csvField).join(','));
  download(`${ctx.gameId}-join-links.csv`, lines.join('\n') + '\n');
}
