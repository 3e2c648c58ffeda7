// charts.js: reading `GET /metrics` (OpenMetrics text) and drawing small
// SVG sparklines, by hand (no chart library, nothing to build).

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Parses OpenMetrics text into samples `{name, labels, value}`
 * (comments and `# EOF` skipped; label values unescaped).
 */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l;
    while ((l = re.exec(m[2] || ''))) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    const value = Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1], labels, value });
  }
  return out;
}

/** The sum of the samples named `name` whose labels pass `where`. */
export function sum(samples, name, where = () => true) {
  let total = 0;
  let seen = false;
  for (const s of samples) {
    if (s.name === name && where(s.labels)) {
      total += s.value;
      seen = true;
    }
  }
  return seen ? total : null;
}

/**
 * The `q` quantile (0..1) of histogram `name` over the interval between
 * two scrapes (`before`, `now`: parsed samples), from the growth of its
 * cumulative `_bucket` counts summed over the series `where` passes: the
 * upper bound of the first bucket holding the quantile, in the
 * histogram's unit. `null` when nothing was observed in between (a gap,
 * not a zero).
 */
export function quantile(before, now, name, q, where = () => true) {
  const buckets = (samples) => {
    const by = new Map();
    for (const s of samples || []) {
      if (s.name !== `${name}_bucket` || !where(s.labels)) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      by.set(le, (by.get(le) || 0) + s.value);
    }
    return by;
  };
  const a = buckets(before);
  const b = buckets(now);
  const les = [...b.keys()].sort((x, y) => x - y);
  const grown = les.map((le) => [le, Math.max(0, b.get(le) - (a.get(le) || 0))]);
  const total = grown.length ? grown[grown.length - 1][1] : 0;
  if (!total) return null;
  const want = q * total;
  for (const [le, count] of grown) {
    if (count >= want) return le;
  }
  return Infinity;
}

/** A rolling series of at most `n` points. */
export class Series {
  constructor(n = 60) {
    this.n = n;
    this.values = [];
  }
  push(v) {
    this.values.push(v);
    if (this.values.length > this.n) this.values.shift();
  }
  get last() {
    return this.values.length ? this.values[this.values.length - 1] : null;
  }
}

/** Draws `values` (nulls are gaps) as a filled sparkline in `svg` (viewBox 240x60). */
export function sparkline(svg, values) {
  const w = 240;
  const h = 60;
  const pad = 4;
  const nums = values.filter((v) => v !== null && Number.isFinite(v));
  const max = Math.max(1e-9, ...nums);
  const n = Math.max(values.length - 1, 1);
  const pts = values.map((v, i) => (v === null || !Number.isFinite(v) ? null : [(i / n) * w, h - pad - (v / max) * (h - 2 * pad)]));
  const line = [];
  let pen = false;
  for (const p of pts) {
    if (!p) {
      pen = false;
      continue;
    }
    line.push(`${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`);
    pen = true;
  }
  const drawn = pts.filter(Boolean);
  svg.replaceChildren();
  // A baseline, so an all-zero series still shows as a chart.
  svg.append(node('line', { x1: 0, y1: h - pad, x2: w, y2: h - pad, class: 'spark-base' }));
  if (drawn.length) {
    const area = `${line.join(' ')} L${drawn[drawn.length - 1][0].toFixed(1)},${h} L${drawn[0][0].toFixed(1)},${h} Z`;
    svg.append(node('path', { d: area, class: 'spark-area' }));
    svg.append(node('path', { d: line.join(' '), class: 'spark-line' }));
    const [x, y] = drawn[drawn.length - 1];
    svg.append(node('circle', { cx: x, cy: y, r: 2.5, class: 'spark-dot' }));
  }
}

function node(tag, attrs) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** Formats a chart value: integers as is, small rates with one decimal. */
export function fmt(v) {
  if (v === null || v === undefined) return '–';
  if (v === Infinity) return '> max';
  if (Number.isInteger(v)) return v.toLocaleString();
  return v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString();
}
