// The `token` option against a running Plank that requires tokens: PLANK_AUTH_URL, signed with
// PLANK_JWT_SECRET (HS256). Skipped without them, or failing with PLANK_REQUIRE=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Plank } from '../plank-client.js';

const BASE = process.env.PLANK_AUTH_URL?.replace(/\/$/, '');
const SECRET = process.env.PLANK_JWT_SECRET;

function live(name, fn) {
  test(name, async (t) => {
    if (!BASE || !SECRET) {
      if (process.env.PLANK_REQUIRE === '1') throw new Error('PLANK_AUTH_URL and PLANK_JWT_SECRET are not set');
      return t.skip('no PLANK_AUTH_URL / PLANK_JWT_SECRET');
    }
    await fn(t);
  });
}

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function sign(claims, secret = SECRET) {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const token = (ttlSeconds, sub = '42') =>
  sign({ sub, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + ttlSeconds });

function waitFor(plank, event, predicate = () => true) {
  return new Promise((resolve) => {
    const off = plank.on(event, (detail) => {
      if (!predicate(detail)) return;
      off();
      resolve(detail);
    });
  });
}

live('a token function is called on connect and sent before the subscriptions', async (t) => {
  let calls = 0;
  const plank = new Plank(BASE, { heartbeat: 0, token: async () => { calls++; return token(600); } });
  t.after(() => plank.close());
  const sub = plank.subscribe('items', () => {});
  await sub.ready;
  assert.equal(calls, 1);
  assert.equal(plank.state, 'open');
});

live('a token is renewed before it expires and the connection stays', async (t) => {
  let calls = 0;
  // A 3 s token: renewed 0.3 s before exp; the server would close an unrenewed one at exp.
  const plank = new Plank(BASE, { heartbeat: 0, token: () => { calls++; return token(3); } });
  t.after(() => plank.close());
  const closed = [];
  plank.on('closed', (c) => closed.push(c));
  await plank.subscribe('items', () => {}).ready;
  const started = Date.now();
  while (calls < 3 && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(calls >= 3, `renewed twice (${calls} calls)`);
  assert.deepEqual(closed, []);
  assert.ok((await plank.ping()) >= 0);
});

live('a refused token is an error event with code unauthorized', async (t) => {
  const plank = new Plank(BASE, { heartbeat: 0, minDelay: 5_000, token: () => sign({ sub: '1', role: 'x', exp: 1 }) });
  t.after(() => plank.close());
  const error = await waitFor(plank, 'error');
  assert.equal(error.code, 'unauthorized');
  assert.match(error.message, /token expired/);
});

live('a token function that throws is an error event with code token', async (t) => {
  const plank = new Plank(BASE, { heartbeat: 0, minDelay: 5_000, token: () => { throw new Error('logged out'); } });
  t.after(() => plank.close());
  const error = await waitFor(plank, 'error');
  assert.equal(error.code, 'token');
  assert.match(error.message, /logged out/);
});
