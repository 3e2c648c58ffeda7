// play-forms.js: one form per action kind the game type declares for
// players, generated from its payload_schema (schema-form.js). Located
// kinds read navigator.geolocation (manual fields as a fallback: it needs
// a secure context and the player's permission); evidence kinds take a
// photo or a text, uploaded first (`POST /v1/play/evidence`) and put in
// the payload by id.
//
// Ids, per kind K: `act-K` (form), `act-K-field-<path>` (payload fields),
//   `act-K-photo` (file input), `act-K-text` (evidence text),
//   `act-K-lat`, `act-K-lon`, `act-K-acc` (manual location),
//   `act-K-loc` (location status), `act-K-submit`.
// Without a catalogue entry (see play.js): `act-generic` with
//   `act-generic-kind`, `act-generic-payload`, `act-generic-submit`.

import { send } from './api.js';
import { el, toast, busy } from './ui.js';
import { schemaForm } from './schema-form.js';

const EVIDENCE_NAMES = ['evidence', 'evidence_id', 'photo', 'proof', 'media'];
const MAX_PHOTO = 2 * 1024 * 1024; // api.max_evidence_bytes' default

/** Which payload member carries the evidence id. */
function evidenceProp(schema) {
  const props = Object.keys((schema && schema.properties) || {});
  return EVIDENCE_NAMES.find((n) => props.includes(n)) || props.find((n) => n.includes('evidence')) || 'evidence';
}

/** The payload schema without the evidence member (it is not typed in). */
function withoutProp(schema, prop) {
  if (!schema || !schema.properties || !(prop in schema.properties)) return schema;
  const props = { ...schema.properties };
  delete props[prop];
  return { ...schema, properties: props, required: (schema.required || []).filter((r) => r !== prop) };
}

const hasFields = (s) => s && s.properties && Object.keys(s.properties).length > 0;

/**
 * The form of action `a` (`{kind, description, payload_schema,
 * takes_location, takes_evidence}`); `submit(body)` queues the action.
 */
export function actionForm(a, token, submit) {
  const K = a.kind;
  const evProp = a.takes_evidence ? evidenceProp(a.payload_schema) : null;
  const schema = evProp ? withoutProp(a.payload_schema, evProp) : a.payload_schema;
  const form = hasFields(schema) ? schemaForm(schema, {}, `act-${K}`) : null;
  const photo = el('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', capture: 'environment', id: `act-${K}-photo`, testid: `act-${K}-photo` });
  const text = el('textarea', { id: `act-${K}-text`, testid: `act-${K}-text`, rows: 2, placeholder: 'or describe it in words' });
  const lat = el('input', { type: 'number', step: 'any', min: -90, max: 90, id: `act-${K}-lat`, testid: `act-${K}-lat`, placeholder: 'latitude' });
  const lon = el('input', { type: 'number', step: 'any', min: -180, max: 180, id: `act-${K}-lon`, testid: `act-${K}-lon`, placeholder: 'longitude' });
  const acc = el('input', { type: 'number', step: 'any', min: 0, id: `act-${K}-acc`, testid: `act-${K}-acc`, placeholder: 'accuracy (m)', value: 25 });
  const locStatus = el('small', { class: 'muted', id: `act-${K}-loc`, testid: `act-${K}-loc`, text: 'Your location is read when you send.' });
  const manual = el('details', { class: 'manual' }, el('summary', { text: 'Enter the location by hand' }), el('div', { class: 'row' }, lat, lon, acc));
  const button = el('button', { type: 'submit', class: 'btn primary block', id: `act-${K}-submit`, testid: `act-${K}-submit`, text: a.kind });

  const onSubmit = async (e) => {
    e.preventDefault();
    if (form && form.validate().length) return;
    await busy(button, async () => {
      const payload = form ? form.read() ?? {} : {};
      if (evProp) {
        const id = await uploadEvidence(token(), photo.files && photo.files[0], text.value.trim());
        if (id) payload[evProp] = id;
        else if ((a.payload_schema.required || []).includes(evProp)) throw new Error('Evidence: add a photo or a text');
      }
      const body = { kind: K };
      if (form || evProp) body.payload = payload;
      if (a.takes_location) {
        // A kind that reads locations may not need one for every payload
        // (a scavenger photo mission): without one the game type decides.
        const at = await locate(lat, lon, acc, locStatus, manual);
        if (at) body.location = at;
      }
      submit(body);
      photo.value = '';
      text.value = '';
    });
  };

  return el('form', { class: 'action-form', id: `act-${K}`, testid: `act-${K}`, novalidate: true, on: { submit: onSubmit } },
    el('h3', { text: a.kind }),
    a.description ? el('p', { class: 'muted small', text: a.description }) : null,
    form ? form.element : null,
    evProp ? el('div', { class: 'evidence-input' }, el('label', { for: `act-${K}-photo`, text: 'Photo' }), photo, text) : null,
    a.takes_location ? el('div', { class: 'location' }, locStatus, manual) : null,
    button);
}

/** The fallback when the game type's actions are not known: kind + JSON. */
export function genericForm(kinds, submit) {
  const kind = kinds.length
    ? el('select', { id: 'act-generic-kind', testid: 'act-generic-kind' }, kinds.map((k) => el('option', { value: k, text: k })))
    : el('input', { id: 'act-generic-kind', testid: 'act-generic-kind', placeholder: 'action kind' });
  const payload = el('textarea', { id: 'act-generic-payload', testid: 'act-generic-payload', class: 'json', rows: 4, placeholder: '{"answer": "…"}' });
  return el('form', { class: 'action-form', id: 'act-generic', testid: 'act-generic', on: {
    submit: (e) => {
      e.preventDefault();
      let p;
      try {
        p = payload.value.trim() ? JSON.parse(payload.value) : undefined;
      } catch (err) {
        return toast('Payload: not valid JSON (' + err.message + ')', 'error');
      }
      if (!kind.value.trim()) return toast('Kind: required', 'error');
      submit(p === undefined ? { kind: kind.value.trim() } : { kind: kind.value.trim(), payload: p });
    },
  } }, el('label', { for: 'act-generic-kind', text: 'Action' }), kind, el('label', { for: 'act-generic-payload', text: 'Payload (JSON)' }), payload,
  el('button', { type: 'submit', class: 'btn primary block', id: 'act-generic-submit', testid: 'act-generic-submit', text: 'Send' }));
}

/** Uploads a photo (shrunk when over the limit) or a text; its id or null. */
async function uploadEvidence(token, file, text) {
  if (!file && !text) return null;
  let body = text;
  let type = 'text/plain; charset=utf-8';
  if (file) {
    body = file.size > MAX_PHOTO || !/^image\/(png|jpeg|webp)$/.test(file.type) ? await shrink(file) : file;
    type = body.type;
  }
  const r = await send('POST', '/v1/play/evidence', { body, type, token });
  return r.data.evidence_id;
}

/** Re-encodes a photo as JPEG, at most 1600 px on its long side. */
async function shrink(file) {
  const img = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(img.width, img.height));
  const canvas = el('canvas', { width: Math.round(img.width * scale), height: Math.round(img.height * scale) });
  canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.85));
  if (!blob || blob.size > MAX_PHOTO) throw new Error('Photo: too large, even shrunk');
  return blob;
}

/** The manual location when filled in, else the device's (10 s at most). */
async function locate(lat, lon, acc, status, manual) {
  if (lat.value !== '' && lon.value !== '') {
    const l = { lat: Number(lat.value), lon: Number(lon.value), accuracy_m: Number(acc.value || 0) };
    if (Math.abs(l.lat) > 90 || Math.abs(l.lon) > 180 || !(l.accuracy_m >= 0)) throw new Error('Location: latitude -90..90, longitude -180..180, accuracy ≥ 0');
    return l;
  }
  if (!navigator.geolocation) {
    manual.open = true;
    return null;
  }
  status.textContent = 'Reading your location…';
  // A fresh fix (maximumAge 0): a check-in is about where the player is
  // now, not where they were when the app last asked.
  try {
    const pos = await new Promise((ok, ko) => navigator.geolocation.getCurrentPosition(ok, ko, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 }));
    const c = pos.coords;
    status.textContent = `Location: ±${Math.round(c.accuracy)} m`;
    return { lat: c.latitude, lon: c.longitude, accuracy_m: c.accuracy };
  } catch (e) {
    status.textContent = 'Location unavailable (' + (e.message || 'denied') + '): enter it by hand.';
    manual.open = true;
    return null;
  }
}
