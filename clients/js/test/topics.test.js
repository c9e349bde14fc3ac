// Broadcast and presence with plank-client.js against a running Plank: PLANK_URL (default
// http://127.0.0.1:8000). Without one the tests are skipped, or fail with PLANK_REQUIRE=1.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Plank } from '../plank-client.js';

const BASE = (process.env.PLANK_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
let reachable = false;

before(async () => {
  try {
    reachable = (await fetch(`${BASE}/ready`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    reachable = false;
  }
  if (!reachable && process.env.PLANK_REQUIRE === '1') throw new Error(`no Plank at ${BASE}`);
});

function live(name, fn) {
  test(name, async (t) => {
    if (!reachable) return t.skip(`no Plank at ${BASE}`);
    await fn(t);
  });
}

/** Resolves with the first value `register(resolve)` hands over, or rejects after 5 s. */
function first(register) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nothing within 5 s')), 5000);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

live('broadcast between two clients, with self and ack, and by REST', async (t) => {
  const name = `js:${Date.now()}`;
  const a = new Plank(BASE);
  const b = new Plank(BASE);
  t.after(() => { a.close(); b.close(); });
  const ta = a.topic(name);
  const tb = b.topic(name);
  await Promise.all([ta.ready, tb.ready]);

  const atB = first((done) => tb.on('hi', (payload) => done(payload)));
  const mine = first((done) => ta.on('hi', (payload) => done(payload)));
  await ta.send('hi', { n: 1 }, { self: true, ack: true });
  assert.deepEqual(await atB, { n: 1 });
  assert.deepEqual(await mine, { n: 1 });

  const rest = first((done) => tb.on('server', (payload) => done(payload)));
  const response = await fetch(`${BASE}/api/broadcast`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ topic: name, event: 'server', payload: [1, 2] }),
  });
  assert.equal(response.status, 202);
  assert.deepEqual(await rest, [1, 2]);
});

live('presence: a client sees another track, and leave when it closes', async (t) => {
  const name = `js-presence:${Date.now()}`;
  const a = new Plank(BASE);
  t.after(() => a.close());
  const ta = a.topic(name);
  await ta.ready;
  const joined = first((done) => ta.onPresence((presence) => { if (presence.bob) done(presence); }));
  const b = new Plank(BASE);
  const key = await b.topic(name).track({ status: 'online' }, { key: 'bob' });
  assert.equal(key, 'bob');
  const presence = await joined;
  assert.equal(presence.bob[0].status, 'online');

  const left = first((done) => ta.onPresence((p, change) => { if (change.type === 'diff' && !p.bob) done(p); }));
  b.close();
  assert.deepEqual(await left, {});
});
