// api.js: every page's access to the HTTP API (docs/api.md, docs/screens.md).
//
// - JSON in and out; a failed answer becomes an ApiError carrying the API's
//   `{error: {code, message}}` so pages can show the API's own message.
// - Every non-GET request carries `X-Veltrix-Csrf: 1`: cookie sessions
//   need it (a cross-site form cannot set it); bearer requests ignore it.
// - Server-Sent Events: `events()` uses EventSource (cookie routes: the
//   browser sends the session cookie); `bearerEvents()` reads the stream
//   with fetch + ReadableStream, because EventSource cannot send an
//   `Authorization` header (player routes).

/**
 * A refused request: `status` 0 means the network failed (offline...);
 * `retryAfterMs` is set when the answer had a `Retry-After` (503
 * `overloaded`: the host is at capacity).
 */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
  get network() {
    return this.status === 0;
  }
}

/**
 * Sends one request; answers `{status, data, headers}` for any 2xx.
 * opts: `json` (a body to encode), `body` (raw), `type` (its content type),
 * `token` (a bearer token), `headers` (extra), `text` (read the answer as text).
 */
export async function send(method, path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  if (method !== 'GET' && method !== 'HEAD') headers.set('X-Veltrix-Csrf', '1');
  if (opts.token) headers.set('Authorization', 'Bearer ' + opts.token);
  let body = opts.body;
  if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  } else if (opts.type) {
    headers.set('Content-Type', opts.type);
  }
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'Network error: the server could not be reached', null);
  }
  const type = resp.headers.get('content-type') || '';
  let data = null;
  if (opts.text && resp.ok) {
    data = await resp.text();
  } else if (type.includes('json')) {
    data = await resp.json().catch(() => null);
  } else if (resp.status !== 204) {
    data = await resp.text().catch(() => '');
  }
  if (!resp.ok) {
    const err = data && data.error ? data.error : {};
    const message = err.message || `${resp.status} ${resp.statusText || 'error'}`;
    const e = new ApiError(resp.status, err.code || 'http_' + resp.status, message, data);
    // 503 `overloaded` says when to come back (seconds).
    const after = Number(resp.headers.get('retry-after'));
    if (Number.isFinite(after) && after > 0) e.retryAfterMs = after * 1000;
    throw e;
  }
  return { status: resp.status, data, headers: resp.headers };
}

/** `send`, answering the decoded body only. */
export async function api(method, path, opts = {}) {
  return (await send(method, path, opts)).data;
}

/** Percent-encodes one path segment (ids are `[A-Za-z0-9_.-]`, but be safe). */
export const seg = (s) => encodeURIComponent(String(s));

/**
 * Subscribes to a cookie-authenticated SSE route. `handlers` maps event
 * names to functions of the decoded JSON; `onState(open|error)` reports
 * the connection. EventSource reconnects by itself. Answers `{close()}`.
 */
export function events(path, handlers, onState) {
  const source = new EventSource(path, { withCredentials: true });
  for (const [name, fn] of Object.entries(handlers)) {
    source.addEventListener(name, (e) => fn(parseData(e.data)));
  }
  source.onopen = () => onState && onState('open');
  source.onerror = () => onState && onState(source.readyState === 2 ? 'closed' : 'error');
  return { close: () => source.close() };
}

function parseData(s) {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * Reads an SSE route that takes a bearer token, reconnecting with backoff
 * (1 s doubling to 15 s) until `close()`. 401 and 404 end it (a revoked
 * token or a deleted game will not come back): `onState('gone', err)`.
 */
export function bearerEvents(path, token, handlers, onState) {
  const ctrl = new AbortController();
  let delay = 1000;
  const state = (s, e) => onState && onState(s, e);
  (async () => {
    while (!ctrl.signal.aborted) {
      try {
        const resp = await fetch(path, {
          headers: { Authorization: 'Bearer ' + token, Accept: 'text/event-stream' },
          cache: 'no-store',
          signal: ctrl.signal,
        });
        if (resp.status === 401 || resp.status === 404) {
          const body = await resp.json().catch(() => null);
          const msg = body && body.error ? body.error.message : 'not found';
          state('gone', new ApiError(resp.status, 'gone', msg, body));
          return;
        }
        if (!resp.ok || !resp.body) throw new Error('status ' + resp.status);
        state('open');
        delay = 1000;
        await readStream(resp.body, handlers);
        state('error');
      } catch (e) {
        if (ctrl.signal.aborted) return;
        state('error', e);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  })();
  return { close: () => ctrl.abort() };
}

/** Parses `text/event-stream` (event:, data:, comments) into handler calls. */
async function readStream(body, handlers) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let event = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line === '') {
        if (data.length && handlers[event]) handlers[event](parseData(data.join('\n')));
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        continue; // a comment: the server's keep-alive ping
      } else {
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
      }
    }
  }
}

/** A fresh idempotency key (randomUUID needs a secure context: fallback). */
export function newKey() {
  if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
