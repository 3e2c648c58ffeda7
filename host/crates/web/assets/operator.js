// operator.js: the operator page: create tenants, partners and keys,
// revoke keys, health per dependency (`GET /readyz` every 5 s) and live
// sparklines of `GET /metrics` every 2 s, among them the p99 latency of
// each stream over each 2 s interval (from the growth of
// `veltrix_stream_latency_seconds` buckets): game accepted -> polled,
// quest and players sent -> acked, reward outbox row -> published.
//
// Ids: `health` (rows `health-<dependency>`), `health-status`;
//   charts `chart-actions`, `chart-backlog`, `chart-lag`, `chart-faults`
//   with their current values `value-actions`, `value-backlog`,
//   `value-lag`, `value-faults`; `chart-p99-<family>` and
//   `value-p99-<family>` for game, quest, reward, players;
//   `tenant-id`, `tenant-name`, `tenant-create`; `partner-new-id`,
//   `partner-name`, `partner-create`; `key-role`, `key-owner`,
//   `key-create`, `key-issued`, `key-secret`, `key-id`;
//   `revoke-key-id`, `revoke-submit`; the listings (`GET /v1/tenants`,
//   `/v1/partners`, `/v1/keys`, newest first): `tenants-list` (rows
//   `tenant-<id>`), `partners-list` (`partner-<id>`), `keys-list` (rows
//   `key-<key_id>` with `data-state` live|revoked, buttons
//   `revoke-<key_id>` on live ones).

import { api, seg } from './api.js';
import { requireSession } from './session.js';
import { $, el, fill, busy, toast, badge, armed, fmtTime as when } from './ui.js';
import { parseMetrics, sum, quantile, Series, sparkline, fmt } from './charts.js';

// Routes whose POSTs are actions (a player's, a game master's).
const ACTION_ROUTES = new Set(['/v1/play/actions', '/v1/tenants/{tenant}/games/{game}/gm']);
// Which stage of `veltrix_stream_latency_seconds` each stream's chart shows.
const STREAM_STAGES = { game: 'polled', quest: 'acked', reward: 'published', players: 'acked' };
const series = { actions: new Series(), backlog: new Series(), lag: new Series(), faults: new Series() };
for (const f of Object.keys(STREAM_STAGES)) series[`p99-${f}`] = new Series();
let prev = null; // the previous scrape's counters, for rates
let prevSamples = null; // the previous scrape, for interval quantiles

requireSession(['operator'], () => {
  $('tenant-form').addEventListener('submit', (e) => create(e, 'tenant-create', '/v1/tenants', { tenant_id: $('tenant-id').value.trim(), name: $('tenant-name').value.trim() }, 'tenant'));
  $('partner-form').addEventListener('submit', (e) => create(e, 'partner-create', '/v1/partners', { partner_id: $('partner-new-id').value.trim(), name: $('partner-name').value.trim() }, 'partner'));
  $('key-role').addEventListener('change', roleChanged);
  $('key-form').addEventListener('submit', issueKey);
  $('revoke-form').addEventListener('submit', revokeKey);
  roleChanged();
  busy(null, listings);
  health();
  scrape();
  setInterval(health, 5000);
  setInterval(scrape, 2000);
});

/** The three listings, newest first. */
async function listings() {
  const [t, p, k] = await Promise.all([
    api('GET', '/v1/tenants'), api('GET', '/v1/partners'), api('GET', '/v1/keys'),
  ]);
  const named = (kind) => (x) => el('li', { testid: `${kind}-${x.id}`, title: `created ${when(x.created_at_ms)}` },
    el('strong', { class: 'mono', text: x.id }), ' ', x.name);
  fill($('tenants-list'), t.tenants.length ? t.tenants.map(named('tenant')) : [el('li', { class: 'muted', text: 'No tenants yet.' })]);
  fill($('partners-list'), p.partners.length ? p.partners.map(named('partner')) : [el('li', { class: 'muted', text: 'No partners yet.' })]);
  fill($('keys-list'), k.keys.map((key) => {
    const live = key.revoked_at_ms === undefined;
    const owner = key.tenant_id || key.partner_id || '';
    return el('li', { class: 'key-row' + (live ? '' : ' revoked'), testid: `key-${key.key_id}`, 'data-state': live ? 'live' : 'revoked' },
      el('span', { class: 'mono', text: key.key_id }), ' ', badge(key.role), owner ? ` ${owner}` : '',
      el('span', { class: 'muted', text: live ? ` · issued ${when(key.created_at_ms)}` : ` · revoked ${when(key.revoked_at_ms)}` }),
      live ? el('button', { type: 'button', class: 'link-btn danger', testid: `revoke-${key.key_id}`, text: 'revoke', on: { click: (e) => revoke(e.target, key.key_id) } }) : null);
  }));
}

async function revoke(button, id) {
  if (!armed(button, 'revoke', 'sure? revoke')) return;
  await busy(button, async () => {
    await api('DELETE', `/v1/keys/${seg(id)}`);
    toast(`Key ${id} revoked`);
    await listings();
  });
}

async function create(e, button, path, body, what) {
  e.preventDefault();
  await busy($(button), async () => {
    const r = await api('POST', path, { json: body });
    toast(`${what} ${r.id} created`);
    e.target.reset();
    await listings();
  });
}

function roleChanged() {
  const role = $('key-role').value;
  $('key-owner-label').textContent = role === 'tenant' ? 'Tenant id' : 'Partner id';
  $('key-owner').hidden = role === 'operator';
  $('key-owner-label').hidden = role === 'operator';
}

async function issueKey(e) {
  e.preventDefault();
  const role = $('key-role').value;
  const owner = $('key-owner').value.trim();
  const body = { role };
  if (role === 'tenant') body.tenant_id = owner;
  if (role === 'partner') body.partner_id = owner;
  if (role !== 'operator' && !owner) return toast(`Key: the ${role} id is required`, 'error');
  await busy($('key-create'), async () => {
    const k = await api('POST', '/v1/keys', { json: body });
    // Shown once, never stored: it leaves the page with the next key.
    $('key-secret').value = k.key;
    $('key-id').textContent = k.key_id;
    $('key-issued').hidden = false;
    $('key-secret').select();
    await listings();
  });
}

async function revokeKey(e) {
  e.preventDefault();
  const id = $('revoke-key-id').value.trim();
  await busy($('revoke-submit'), async () => {
    await api('DELETE', `/v1/keys/${seg(id)}`);
    toast(`Key ${id} revoked`);
    $('revoke-key-id').value = '';
    await listings();
  });
}

/** `/readyz`: 200 or 503, both with `checks`. */
async function health() {
  let body;
  let ok = false;
  try {
    const r = await fetch('/readyz', { cache: 'no-store' });
    ok = r.ok;
    body = await r.json();
  } catch {
    body = null;
  }
  const status = $('health-status');
  status.replaceWith(badge(body ? (ok ? 'ready' : 'degraded') : 'unreachable', { id: 'health-status', testid: 'health-status' }));
  const checks = (body && (body.checks || (body.error && body.error.checks))) || {};
  fill($('health'), Object.entries(checks).map(([dep, s]) =>
    el('li', { class: 'health-row ' + (s === 'ok' ? 'ok' : 'bad'), id: `health-${dep}`, testid: `health-${dep}` },
      el('span', { class: 'dot' }), el('strong', { text: dep }), el('span', { class: 'muted', text: s }))));
}

async function scrape() {
  let samples;
  try {
    const r = await fetch('/metrics', { cache: 'no-store' });
    samples = parseMetrics(await r.text());
  } catch {
    samples = null;
  }
  const now = performance.now();
  const cur = samples && {
    at: now,
    actions: sum(samples, 'veltrix_http_requests_total', (l) => l.method === 'POST' && ACTION_ROUTES.has(l.route)) ?? 0,
    faults: sum(samples, 'veltrix_plugin_faults_total') ?? 0,
  };
  const rate = (k) => (prev && cur ? Math.max(0, (cur[k] - prev[k]) / ((cur.at - prev.at) / 1000)) : null);
  series.actions.push(rate('actions'));
  series.faults.push(rate('faults'));
  series.backlog.push(samples ? sum(samples, 'veltrix_outbox_pending') : null);
  series.lag.push(samples ? sum(samples, 'veltrix_consumer_lag') : null);
  for (const [family, stage] of Object.entries(STREAM_STAGES)) {
    const q = samples && prevSamples
      ? quantile(prevSamples, samples, 'veltrix_stream_latency_seconds', 0.99, (l) => l.family === family && l.stage === stage)
      : null;
    series[`p99-${family}`].push(q === null || q === Infinity ? q : Math.round(q * 1000 * 10) / 10);
  }
  prev = cur;
  prevSamples = samples;
  for (const [k, s] of Object.entries(series)) {
    sparkline($(`chart-${k}`), s.values);
    $(`value-${k}`).textContent = fmt(s.last);
  }
}
