// schema-form.js: a form generated from a JSON Schema (a game type's
// `config_schema`, an action kind's `payload_schema`), and a validator
// run in the browser before submit, whose messages name the field.
//
// Rendered: objects (fieldsets), arrays (of objects or scalars: add and
// remove items), strings, integers and numbers (min/max), booleans,
// enums. Anything else ($ref, oneOf, anyOf, allOf, free-form objects,
// tuples) falls back to a JSON textarea; the server validates it anyway.
// The whole form can also be switched to JSON (`<prefix>-json-toggle`).
//
// Ids, for a form made with prefix P and a field at path a.0.b:
//   data-testid `P-field-a.0.b` (the input; `P-field-` for the root when
//   it is not an object), `P-error-a.0.b` (its message),
//   `P-add-a` / `P-remove-a.0` (array items), `P-json-toggle`, `P-json`
//   (the whole-form textarea), `P-errors` (the summary list).

import { el, humanize } from './ui.js';

// `not` is left to the server (it only narrows a plainly typed field).
const COMPOSITE = ['$ref', 'oneOf', 'anyOf', 'allOf', 'if', 'patternProperties'];

/** `{type, nullable}` of a schema: its (first non-null) type, inferred when absent. */
function typeOf(s) {
  if (!s || typeof s !== 'object') return { type: 'json', nullable: false };
  if (COMPOSITE.some((k) => k in s)) return { type: 'json', nullable: false };
  let t = s.type;
  let nullable = false;
  if (Array.isArray(t)) {
    nullable = t.includes('null');
    const rest = t.filter((x) => x !== 'null');
    t = rest.length === 1 ? rest[0] : 'json';
  }
  if (Array.isArray(s.enum)) return { type: 'enum', nullable };
  if ('const' in s) return { type: 'const', nullable };
  if (!t && s.properties) t = 'object';
  if (!t && s.items) t = 'array';
  if (t === 'object' && !s.properties) t = 'json';
  if (t === 'array' && (!s.items || Array.isArray(s.items) || typeOf(s.items).type === 'array')) t = 'json';
  return { type: t || 'json', nullable };
}

/**
 * Inlines the schema's local `$ref`s (`#/$defs/...`, `#/definitions/...`:
 * what schemars and hand-written schemas use), so the form and the
 * validator see plain schemas. Recursive types stop at `depth` (left as a
 * `$ref`: a JSON field).
 */
export function inlineRefs(schema, root = schema, depth = 0) {
  if (Array.isArray(schema)) return schema.map((x) => inlineRefs(x, root, depth));
  if (!schema || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/') && depth < 8) {
    const target = schema.$ref.slice(2).split('/').reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), root);
    if (target && typeof target === 'object') {
      const { $ref, ...rest } = schema;
      return inlineRefs({ ...target, ...rest }, root, depth + 1);
    }
  }
  const out = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === '$defs' || k === 'definitions' ? v : inlineRefs(v, root, depth);
  return out;
}

const equal = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const ptr = (path) => (path.length ? '/' + path.join('/') : '');

/**
 * Checks `value` against `schema`; answers `[{pointer, label, message}]`,
 * where `label` names the field the way the form does.
 */
export function validate(schema, value) {
  const errs = [];
  check(inlineRefs(schema), value, [], [], true, errs);
  return errs;
}

function check(s, v, path, labels, required, errs) {
  const label = labels.length ? labels.join(' › ') : 'Value';
  const fail = (message) => errs.push({ pointer: ptr(path), label, message: `${label}: ${message}` });
  if (!s || typeof s !== 'object' || COMPOSITE.some((k) => k in s)) return;
  if (v === undefined) {
    if (required) fail('is required');
    return;
  }
  const { type, nullable } = typeOf(s);
  if (v === null) {
    if (!nullable && s.type !== undefined && type !== 'json') fail('is required');
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((x) => equal(x, v))) return fail('must be one of ' + s.enum.join(', '));
  if ('const' in s && !equal(s.const, v)) return fail('must be ' + JSON.stringify(s.const));
  const t = Array.isArray(s.type) ? s.type.filter((x) => x !== 'null')[0] : s.type || (s.properties ? 'object' : s.items ? 'array' : null);
  if (t === 'integer' || t === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail('must be a number');
    if (t === 'integer' && !Number.isInteger(v)) return fail('must be a whole number');
    const exMin = s.exclusiveMinimum, exMax = s.exclusiveMaximum;
    if (typeof s.minimum === 'number' && (exMin === true ? v <= s.minimum : v < s.minimum)) return fail(`must be at least ${s.minimum}`);
    if (typeof s.maximum === 'number' && (exMax === true ? v >= s.maximum : v > s.maximum)) return fail(`must be at most ${s.maximum}`);
    if (typeof exMin === 'number' && v <= exMin) return fail(`must be greater than ${exMin}`);
    if (typeof exMax === 'number' && v >= exMax) return fail(`must be less than ${exMax}`);
    if (typeof s.multipleOf === 'number' && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) return fail(`must be a multiple of ${s.multipleOf}`);
  } else if (t === 'string') {
    if (typeof v !== 'string') return fail('must be text');
    const n = [...v].length;
    if (typeof s.minLength === 'number' && n < s.minLength) return fail(s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`);
    if (typeof s.maxLength === 'number' && n > s.maxLength) return fail(`must be at most ${s.maxLength} characters`);
    if (s.pattern) {
      let re = null;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = null; // a pattern JS cannot read: the server decides
      }
      if (re && !re.test(v)) return fail(`must match ${s.pattern}`);
    }
  } else if (t === 'boolean') {
    if (typeof v !== 'boolean') return fail('must be true or false');
  } else if (t === 'array') {
    if (!Array.isArray(v)) return fail('must be a list');
    if (typeof s.minItems === 'number' && v.length < s.minItems) return fail(`needs at least ${s.minItems} item(s)`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) return fail(`takes at most ${s.maxItems} item(s)`);
    if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) return fail('items must differ');
    if (s.items && !Array.isArray(s.items)) v.forEach((x, i) => check(s.items, x, [...path, i], [...labels, `#${i + 1}`], true, errs));
  } else if (t === 'object') {
    if (typeof v !== 'object' || Array.isArray(v)) return fail('must be an object');
    const req = s.required || [];
    for (const [k, sub] of Object.entries(s.properties || {})) {
      check(sub, v[k], [...path, k], [...labels, sub.title || humanize(k)], req.includes(k), errs);
    }
    if (s.additionalProperties === false) {
      for (const k of Object.keys(v)) if (!(k in (s.properties || {}))) fail(`has an unknown field "${k}"`);
    }
  }
}

/** A starting value for a new array item. */
function blank(s) {
  if (s && 'default' in s) return structuredClone(s.default);
  const { type } = typeOf(s);
  if (type === 'object') {
    const o = {};
    for (const k of s.required || []) o[k] = blank(s.properties[k]);
    return o;
  }
  if (type === 'array') return [];
  if (type === 'boolean') return false;
  if (type === 'enum') return s.enum[0];
  if (type === 'const') return s.const;
  return undefined;
}

/**
 * Builds the form. Answers `{element, read(), validate(), show(errs), set(v)}`:
 * `read()` the current value (throws on a JSON field that does not parse),
 * `validate()` the errors (also shown beside the fields and in the summary).
 */
export function schemaForm(rawSchema, initial, prefix) {
  const schema = inlineRefs(rawSchema);
  const errorEls = new Map(); // pointer -> the element that shows its message
  const summary = el('ul', { class: 'form-errors', testid: `${prefix}-errors`, id: `${prefix}-errors`, hidden: true });
  const body = el('div', { class: 'schema-body' });
  const jsonArea = el('textarea', { class: 'json', rows: 14, testid: `${prefix}-json`, id: `${prefix}-json`, hidden: true, spellcheck: 'false' });
  let root = null;
  let jsonMode = false;

  const render = (value) => {
    errorEls.clear();
    root = node(schema, value, [], [], true);
    body.replaceChildren(root.el);
  };

  function node(s, v, path, labels, required) {
    const { type } = typeOf(s);
    const key = path.join('.');
    const id = `${prefix}-f-${key.replace(/[^A-Za-z0-9_-]/g, '_') || 'root'}`;
    const testid = `${prefix}-field-${key}`;
    const title = (s && s.title) || (path.length ? humanize(path[path.length - 1]) : '');
    const err = el('div', { class: 'field-error', testid: `${prefix}-error-${key}` });
    errorEls.set(ptr(path), err);
    const help = s && s.description ? el('small', { class: 'help', text: s.description }) : null;
    const wrap = (control, inline = false) =>
      el('div', { class: 'field' + (inline ? ' inline' : '') },
        title ? el('label', { for: id }, title, required ? el('span', { class: 'req', text: ' *' }) : null) : null,
        control, help, err);

    if (type === 'object') {
      const kids = Object.entries(s.properties).map(([k, sub]) => [k, node(sub, v ? v[k] : undefined, [...path, k], [...labels, sub.title || humanize(k)], (s.required || []).includes(k))]);
      const extra = v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !(k in s.properties))) : {};
      const fs = el('fieldset', { class: path.length ? 'group' : 'group root', testid }, title ? el('legend', { text: title }) : null, help, kids.map(([, n]) => n.el), err);
      return {
        el: fs,
        read: () => {
          const o = { ...extra };
          for (const [k, n] of kids) {
            const x = n.read();
            if (x !== undefined) o[k] = x;
          }
          // An optional object left empty is left out.
          return !required && Object.keys(o).length === 0 ? undefined : o;
        },
      };
    }
    if (type === 'array') {
      const list = el('div', { class: 'array-items' });
      let items = [];
      const rebuild = (values) => {
        items = values.map((x, i) => {
          const n = node(s.items, x, [...path, i], [...labels, `#${i + 1}`], true);
          const rm = el('button', { type: 'button', class: 'btn ghost small', testid: `${prefix}-remove-${key}.${i}`, text: 'Remove', on: { click: () => rebuild(items.map((m) => m.read()).filter((_, j) => j !== i)) } });
          n.row = el('div', { class: 'array-item' }, n.el, rm);
          return n;
        });
        list.replaceChildren(...items.map((n) => n.row));
      };
      rebuild(Array.isArray(v) ? v : []);
      const add = el('button', { type: 'button', class: 'btn small', testid: `${prefix}-add-${key}`, text: '+ Add', on: { click: () => rebuild([...items.map((m) => m.read()), blank(s.items)]) } });
      const fs = el('fieldset', { class: 'group', testid }, el('legend', {}, title || 'Items', required ? el('span', { class: 'req', text: ' *' }) : null), help, list, add, err);
      return { el: fs, read: () => (items.length === 0 && !required && v === undefined ? undefined : items.map((n) => n.read())) };
    }
    if (type === 'boolean') {
      const input = el('input', { type: 'checkbox', id, testid, class: 'switch', checked: v === true });
      return { el: wrap(input, true), read: () => input.checked };
    }
    if (type === 'enum' || type === 'const') {
      const options = type === 'enum' ? s.enum : [s.const];
      // No preselected choice where there is no value: an optional object
      // left untouched (a challenge's `decay`) must read as absent.
      const blank = !required || v === undefined;
      const sel = el('select', { id, testid },
        blank ? el('option', { value: '', text: '—' }) : null,
        options.map((o, i) => el('option', { value: String(i), text: typeof o === 'string' ? o : JSON.stringify(o) })));
      const at = options.findIndex((o) => equal(o, v));
      sel.value = at >= 0 ? String(at) : blank ? '' : '0';
      return { el: wrap(sel), read: () => (sel.value === '' ? undefined : options[Number(sel.value)]) };
    }
    if (type === 'integer' || type === 'number') {
      const input = el('input', { type: 'number', id, testid, inputmode: type === 'integer' ? 'numeric' : 'decimal', step: type === 'integer' ? '1' : 'any', min: s.minimum, max: s.maximum, value: v ?? '' });
      return { el: wrap(input), read: () => (input.value.trim() === '' ? undefined : Number(input.value)) };
    }
    if (type === 'string') {
      const long = (s.maxLength || 0) > 200 || (typeof v === 'string' && v.length > 60);
      const input = el(long ? 'textarea' : 'input', { type: long ? undefined : 'text', id, testid, rows: long ? 3 : undefined, maxlength: s.maxLength, value: v ?? '' });
      // An empty optional string is left out rather than sent as "".
      return { el: wrap(input), read: () => (input.value === '' && !required ? undefined : input.value) };
    }
    // Fallback: JSON text.
    const area = el('textarea', { id, testid, class: 'json', rows: 5, spellcheck: 'false', value: v === undefined ? '' : JSON.stringify(v, null, 2) });
    return {
      el: wrap(area),
      read: () => {
        if (area.value.trim() === '') return undefined;
        try {
          return JSON.parse(area.value);
        } catch (e) {
          throw Object.assign(new Error(`${labels.join(' › ') || 'Value'}: not valid JSON (${e.message})`), { pointer: ptr(path) });
        }
      },
    };
  }

  const read = () => {
    if (!jsonMode) return root.read();
    try {
      return JSON.parse(jsonArea.value);
    } catch (e) {
      throw Object.assign(new Error('Not valid JSON: ' + e.message), { pointer: '' });
    }
  };

  const showErrs = (errs) => {
    for (const n of errorEls.values()) n.textContent = '';
    body.querySelectorAll('.invalid').forEach((n) => n.classList.remove('invalid'));
    summary.replaceChildren(...errs.map((e) => el('li', { text: e.message })));
    summary.hidden = errs.length === 0;
    for (const e of errs) {
      const n = errorEls.get(e.pointer);
      if (n && !jsonMode) {
        n.textContent = e.message;
        n.parentElement.classList.add('invalid');
      }
    }
  };

  const runValidate = () => {
    let errs;
    try {
      errs = validate(schema, read());
    } catch (e) {
      errs = [{ pointer: e.pointer || '', label: '', message: e.message }];
    }
    showErrs(errs);
    return errs;
  };

  const toggle = el('button', {
    type: 'button', class: 'btn ghost small', testid: `${prefix}-json-toggle`, id: `${prefix}-json-toggle`, text: 'Edit as JSON',
    on: {
      click: () => {
        try {
          if (jsonMode) render(JSON.parse(jsonArea.value));
          else jsonArea.value = JSON.stringify(root.read() ?? {}, null, 2);
        } catch (e) {
          return showErrs([{ pointer: '', message: e.message }]);
        }
        jsonMode = !jsonMode;
        body.hidden = jsonMode;
        jsonArea.hidden = !jsonMode;
        toggle.textContent = jsonMode ? 'Edit as form' : 'Edit as JSON';
        showErrs([]);
      },
    },
  });

  render(initial);
  const element = el('div', { class: 'schema-form', testid: `${prefix}-form` }, el('div', { class: 'form-tools' }, toggle), body, jsonArea, summary);
  return {
    element,
    read,
    validate: runValidate,
    show: showErrs,
    set: (v) => {
      render(v);
      jsonArea.value = JSON.stringify(v ?? {}, null, 2);
    },
  };
}
