// Broadcast and presence with the unmodified Supabase client (@supabase/supabase-js) against
// Plank's /realtime/v1/websocket. Run by src/test/java/dev/plank/build/SupabaseClientIT.java,
// which starts TWO Plank nodes on one database and passes PLANK_URL, PLANK_URL_2 (the second
// node) and PLANK_JWT_SECRET. Its policy grants the `service` role every topic and the
// `authenticated` role only `room:*` (join, broadcast, presence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createClient } from '@supabase/supabase-js';

const URL_1 = process.env.PLANK_URL;
const URL_2 = process.env.PLANK_URL_2;
const SECRET = process.env.PLANK_JWT_SECRET;
const WAIT = 5000;

function token(claims, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now, exp: now + ttlSeconds, ...claims })}`;
  const sig = crypto.createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${sig}`;
}

const SERVICE = token({ role: 'service' });

function client(t, { url = URL_1, key = SERVICE, vsn } = {}) {
  assert.ok(url && SECRET, 'PLANK_URL, PLANK_URL_2, PLANK_JWT_SECRET');
  const supabase = createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: vsn ? { vsn } : {},
  });
  t.after(() => supabase.removeAllChannels());
  return supabase;
}

function subscribed(channel) {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
        reject(Object.assign(new Error(`${status}: ${err?.message}`), { status, err }));
      }
    });
  });
}

/** Resolves once check() holds, polling; rejects after WAIT with what describe() says. */
async function eventually(check, describe) {
  const deadline = Date.now() + WAIT;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const unique = () => `room:${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

for (const vsn of [undefined, '1.0.0']) {
  const name = vsn ?? 'default (2.0.0)';

  test(`vsn ${name}: broadcast between two clients, without and with self`, async (t) => {
    const topic = unique();
    const a = client(t, { vsn });
    const b = client(t, { vsn });
    const gotA = [];
    const gotB = [];
    const chA = a.channel(topic).on('broadcast', { event: '*' }, (m) => gotA.push(m));
    const chB = b
      .channel(topic, { config: { broadcast: { self: true } } })
      .on('broadcast', { event: 'ping' }, (m) => gotB.push(m));
    await Promise.all([subscribed(chA), subscribed(chB)]);

    assert.equal(await chA.send({ type: 'broadcast', event: 'ping', payload: { n: 1, s: 'é' } }), 'ok');
    await eventually(() => gotB.length === 1, () => JSON.stringify(gotB));
    assert.deepEqual(gotB[0], { type: 'broadcast', event: 'ping', payload: { n: 1, s: 'é' } });

    // B has self: it hears its own; A (without self) hears B's but never its own.
    await chB.send({ type: 'broadcast', event: 'ping', payload: { n: 2 } });
    await eventually(() => gotA.length === 1 && gotB.length === 2, () => JSON.stringify([gotA, gotB]));
    assert.deepEqual(gotA[0].payload, { n: 2 });
    assert.deepEqual(gotB[1].payload, { n: 2 });
    assert.equal(gotA.filter((m) => m.payload.n === 1).length, 0);
  });

  test(`vsn ${name}: with ack, send() resolves once the server took the broadcast`, async (t) => {
    const topic = unique();
    const a = client(t, { vsn });
    const b = client(t, { url: URL_2, vsn });
    const got = [];
    const chA = a.channel(topic, { config: { broadcast: { ack: true } } });
    const chB = b.channel(topic).on('broadcast', { event: 'moved' }, (m) => got.push(m.payload));
    await Promise.all([subscribed(chA), subscribed(chB)]);
    // Across nodes: B is on the second node.
    assert.equal(await chA.send({ type: 'broadcast', event: 'moved', payload: { x: 3 } }), 'ok');
    await eventually(() => got.length === 1, () => JSON.stringify(got));
    assert.deepEqual(got[0], { x: 3 });
  });
}

test('presence syncs between two clients on two different nodes (one per serializer)', async (t) => {
  const topic = unique();
  const a = client(t, { url: URL_1 });
  const b = client(t, { url: URL_2, vsn: '1.0.0' });
  const leaves = [];
  const chA = a
    .channel(topic, { config: { presence: { key: 'alice' } } })
    .on('presence', { event: 'sync' }, () => {})
    .on('presence', { event: 'leave' }, (p) => leaves.push(p));
  const chB = b
    .channel(topic, { config: { presence: { key: 'bob' } } })
    .on('presence', { event: 'sync' }, () => {});
  await Promise.all([subscribed(chA), subscribed(chB)]);

  assert.equal(await chA.track({ status: 'online' }), 'ok');
  assert.equal(await chB.track({ status: 'away' }), 'ok');
  const both = (ch) => () => ch.presenceState().alice?.length === 1 && ch.presenceState().bob?.length === 1;
  await eventually(both(chA), () => JSON.stringify(chA.presenceState()));
  await eventually(both(chB), () => JSON.stringify(chB.presenceState()));
  assert.equal(chA.presenceState().bob[0].status, 'away');
  assert.equal(chB.presenceState().alice[0].status, 'online');
  assert.ok(chB.presenceState().alice[0].presence_ref, 'each entry has its presence_ref');

  // A tracks again: B sees the new state replace the old one.
  assert.equal(await chA.track({ status: 'busy' }), 'ok');
  await eventually(
    () => chB.presenceState().alice?.length === 1 && chB.presenceState().alice[0].status === 'busy',
    () => JSON.stringify(chB.presenceState()),
  );

  // B untracks: A gets its leave.
  assert.equal(await chB.untrack(), 'ok');
  await eventually(() => chA.presenceState().bob === undefined, () => JSON.stringify(chA.presenceState()));
  assert.ok(leaves.some((p) => p.key === 'bob' && p.leftPresences[0].status === 'away'));
});

test('a client the policy does not grant a topic cannot join it, nor broadcast there', async (t) => {
  const user = token({ sub: 'u1', role: 'authenticated' });
  const c = client(t, { key: user });
  await assert.rejects(subscribed(c.channel('secret')), (e) => {
    assert.equal(e.status, 'CHANNEL_ERROR');
    assert.match(e.err.message, /Unauthorized/);
    return true;
  });
  // Granted: room:*
  const ch = await subscribed(c.channel(unique(), { config: { broadcast: { ack: true } } }));
  assert.equal(await ch.send({ type: 'broadcast', event: 'e', payload: {} }), 'ok');
});

test('a granted join without a broadcast grant: send() with ack resolves error', async (t) => {
  const user = token({ sub: 'u2', role: 'authenticated' });
  const c = client(t, { key: user });
  const ch = await subscribed(
    c.channel(`news:${Date.now()}`, { config: { broadcast: { ack: true } } }),
  );
  assert.equal(await ch.send({ type: 'broadcast', event: 'e', payload: {} }), 'error');
});

test('REST broadcast: send() on a channel not yet subscribed, and httpSend()', async (t) => {
  const topic = unique();
  const a = client(t);
  const b = client(t, { url: URL_2 });
  const got = [];
  await subscribed(b.channel(topic).on('broadcast', { event: 'rest' }, (m) => got.push(m.payload)));
  const warn = console.warn; // realtime-js warns that the fallback will be deprecated
  console.warn = () => {};
  try {
    assert.equal(await a.channel(topic).send({ type: 'broadcast', event: 'rest', payload: { r: 1 } }), 'ok');
  } finally {
    console.warn = warn;
  }
  await eventually(() => got.length === 1, () => JSON.stringify(got));
  assert.deepEqual(got[0], { r: 1 });

  // httpSend(): the explicit REST form.
  assert.deepEqual(await a.channel(topic).httpSend('rest', { r: 2 }), { success: true });
  await eventually(() => got.length === 2, () => JSON.stringify(got));
  assert.deepEqual(got[1], { r: 2 });
});
