// play-queue.js: the player app's outbox of actions. Each action gets an
// Idempotency-Key in the browser when it is made, and is kept in
// localStorage with that key until an answer (200) arrives. Offline, on a
// network error, a 5xx or a 202 `pending`, it stays queued and is sent
// again with the SAME key (when `online` fires, every 5 s, or on reload):
// the server applies an action once per key and answers its outcome. A
// host at capacity (503 `overloaded`) says when to come back: nothing is
// sent before its `Retry-After` has passed.
//
// The queue is per game and player (`vx.play.queue.<game>:<player>`), not
// per token, so a player who reopens their join link (a new tab, a new
// token) still sends what was waiting. The token itself is never stored
// here (sessionStorage only, in play.js).

import { send, newKey } from './api.js';

// Answers that will not change on a retry: the action is dropped and the
// reason shown. 401 is not among them (the player may get a new link).
const FINAL = new Set([400, 403, 404, 409, 413, 415, 422]);

export class ActionQueue {
  /**
   * owner: `<game>:<player>`; token(): the current bearer token;
   * onAnswer(entry, answer): a 200 outcome; onRefused(entry, err);
   * onChange(entries): the queue changed (to show it).
   */
  constructor(owner, { token, onAnswer, onRefused, onChange, onAuth }) {
    this.storeKey = `vx.play.queue.${owner}`;
    this.token = token;
    this.onAnswer = onAnswer;
    this.onRefused = onRefused;
    this.onChange = onChange;
    this.onAuth = onAuth;
    this.flushing = false;
    this.blocked = false;
    this.notBefore = 0; // ms since the epoch: a Retry-After not yet over
    this.wake = null;
    window.addEventListener('online', () => this.flush());
    setInterval(() => this.entries().length && this.flush(), 5000);
  }

  entries() {
    try {
      return JSON.parse(localStorage.getItem(this.storeKey) || '[]');
    } catch {
      return [];
    }
  }

  save(list) {
    localStorage.setItem(this.storeKey, JSON.stringify(list));
    this.onChange(list);
  }

  /** Queues `{kind, payload?, location?}` under a fresh key and sends it. */
  add(body) {
    const entry = { key: newKey(), body, at: Date.now(), attempts: 0, state: 'queued' };
    this.save([...this.entries(), entry]);
    this.flush();
    return entry;
  }

  update(key, fn) {
    const list = this.entries();
    const i = list.findIndex((e) => e.key === key);
    if (i >= 0) {
      fn(list[i]);
      this.save(list);
    }
  }

  remove(key) {
    this.save(this.entries().filter((e) => e.key !== key));
  }

  /** Sends every queued action, oldest first; stops at a network error. */
  async flush() {
    if (this.flushing || this.blocked) return;
    if (Date.now() < this.notBefore) {
      // One wake-up at the end of the wait, however often we are asked.
      if (!this.wake) {
        this.wake = setTimeout(() => {
          this.wake = null;
          this.flush();
        }, this.notBefore - Date.now() + 10);
      }
      return;
    }
    this.flushing = true;
    try {
      // Entries added while sending are picked up by the next pass; each
      // is tried at most once per flush (a `pending` one waits for the timer).
      const tried = new Set();
      for (let more = true; more; ) {
        more = false;
        for (const entry of this.entries()) {
          if (tried.has(entry.key)) continue;
          if (!navigator.onLine) return;
          tried.add(entry.key);
          if (!(await this.sendOne(entry))) return;
          more = true;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** One attempt; false when the rest should wait (offline, server trouble). */
  async sendOne(entry) {
    this.update(entry.key, (e) => {
      e.attempts += 1;
      e.state = 'sending';
    });
    try {
      const r = await send('POST', '/v1/play/actions', {
        json: entry.body,
        token: this.token(),
        headers: { 'Idempotency-Key': entry.key },
      });
      if (r.status === 202) {
        // Durable, not applied yet: ask again later under the same key.
        this.update(entry.key, (e) => (e.state = 'pending'));
        return true;
      }
      this.remove(entry.key);
      this.onAnswer(entry, r.data);
      return true;
    } catch (err) {
      if (FINAL.has(err.status)) {
        this.remove(entry.key);
        this.onRefused(entry, err);
        return true;
      }
      if (err.status === 401) {
        // A revoked or missing token: keep the action, stop sending.
        this.blocked = true;
        this.update(entry.key, (e) => (e.state = 'queued'));
        this.onAuth(err);
        return false;
      }
      if (err.retryAfterMs) this.notBefore = Date.now() + err.retryAfterMs;
      this.update(entry.key, (e) => (e.state = 'queued'));
      return false;
    }
  }
}
