// plank-client.js against a running Plank: PLANK_URL (default http://127.0.0.1:8000). Without
// one the tests are skipped, or fail with PLANK_REQUIRE=1.
// Writes go through the REST API, which changes rows like any SQL client (the trigger captures
// them). The connection runs through a TCP proxy in this process, so the test can cut it the
// way a network or a server would, with no close frame, or freeze it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Plank, PlankError } from '../plank-client.js';

const BASE = (process.env.PLANK_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const target = new URL(BASE);
const WAIT = 5000;

let reachable = false;
let proxy;

before(async () => {
  try {
    reachable = (await fetch(`${BASE}/api/items?limit=1`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    reachable = false;
  }
  if (!reachable) {
    const hint = `no Plank at ${BASE}: start one (java -jar target/plank.jar) or set PLANK_URL`;
    if (process.env.PLANK_REQUIRE === '1') throw new Error(hint);
    console.log(`# ${hint}`);
    return;
  }
  proxy = await startProxy(target.hostname, Number(target.port || 80));
});

after(() => proxy?.server.close());

/** A test that needs the server; skipped, with the reason, when none runs. */
function live(name, fn) {
  test(name, async (t) => {
    if (!reachable) return t.skip(`no Plank at ${BASE}`);
    await fn(t);
  });
}

live('subscribe, then receive INSERT, UPDATE and DELETE with seq, cursor and ts', async (t) => {
  const plank = client();
  t.after(() => plank.close());
  const inbox = collect();
  const sub = plank.subscribe('items', inbox.handler);
  assert.equal(await sub.ready, sub);

  const item = await rest('POST', '/api/items', { name: `live-${Date.now()}`, value: 1 });
  const inserted = await inbox.next((c) => c.data.id === item.id);
  assert.equal(inserted.type, 'INSERT');
  assert.equal(inserted.channel, 'items');
  assert.equal(inserted.data.name, item.name);
  assert.equal(typeof inserted.seq, 'number');
  assert.match(inserted.cursor, /^\d+\.\d+$/);
  assert.ok(!Number.isNaN(Date.parse(inserted.ts)));

  await rest('PATCH', `/api/items/${item.id}`, { value: 2 });
  const updated = await inbox.next((c) => c.type === 'UPDATE' && c.data.id === item.id);
  assert.equal(updated.data.value, 2);
  assert.equal(updated.old.value, 1);
  assert.ok(updated.seq > inserted.seq);

  await rest('DELETE', `/api/items/${item.id}`);
  const deleted = await inbox.next((c) => c.type === 'DELETE' && c.data.id === item.id);
  assert.equal(deleted.data.name, item.name);
  assert.equal(sub.cursor, deleted.cursor);
});

live('events and filter narrow what arrives', async (t) => {
  const plank = client();
  t.after(() => plank.close());
  const tag = `f-${Date.now()}`;
  const inbox = collect();
  await plank.subscribe('items', { events: ['INSERT'], filter: 'value=gt.10' }, inbox.handler).ready;
  const low = await rest('POST', '/api/items', { name: `${tag}-low`, value: 5 });
  const high = await rest('POST', '/api/items', { name: `${tag}-high`, value: 50 });
  await rest('PATCH', `/api/items/${high.id}`, { value: 51 }); // not an INSERT
  const got = await inbox.next((c) => c.data.id === high.id);
  assert.equal(got.type, 'INSERT');
  await pingRoundTrip(plank); // anything else would have arrived before the pong
  assert.equal(inbox.all.filter((c) => c.data.id === low.id).length, 0);
  assert.equal(inbox.all.filter((c) => c.data.id === high.id).length, 1);
});

live('a bad filter rejects with a typed error and the connection stays usable', async (t) => {
  const plank = client();
  t.after(() => plank.close());
  const sub = plank.subscribe('items', { filter: 'value=like.1' }, () => {});
  await assert.rejects(sub.ready, (e) => e instanceof PlankError && e.code === 'bad_filter' && /like/.test(e.message));
  const unknown = plank.subscribe('no_such_table', () => {});
  await assert.rejects(unknown.ready, (e) => e.code === 'unknown_channel');
  assert.ok((await plank.ping()) >= 0);
  assert.equal(plank.state, 'open');
});

live('an http base URL works as well as ws://', async (t) => {
  const plank = new Plank(BASE, { heartbeat: 0 });
  t.after(() => plank.close());
  await plank.subscribe('items', () => {}).ready;
  assert.equal(plank.url, `${BASE.replace(/^http/, 'ws')}/ws`);
});

live('after the connection is cut, it reconnects and misses nothing: replayed, or a resync', async (t) => {
  await survivesOutage(t, () => proxy.cut(), 1006); // no close frame, like a network failure
});

live('a 1008 close (how the server cuts a slow consumer) is survived the same way', async (t) => {
  await survivesOutage(t, () => proxy.closeWith(1008, 'slow consumer'), 1008);
});

live('a connection that stops answering is replaced after a missed heartbeat', async (t) => {
  const plank = client({ heartbeat: 200, timeout: 300, minDelay: 50 });
  t.after(() => plank.close());
  const inbox = collect();
  await plank.subscribe('items', inbox.handler).ready;
  const closed = waitFor(plank, 'closed');
  proxy.freeze(); // bytes stop flowing both ways, the sockets stay up
  const { code } = await closed;
  assert.equal(code, 4000);
  proxy.cut();
  await waitFor(plank, 'resync');
  const item = await rest('POST', '/api/items', { name: `hb-${Date.now()}`, value: 1 });
  await inbox.next((c) => c.data.id === item.id);
  await rest('DELETE', `/api/items/${item.id}`);
});

live('unsubscribe stops delivery', async (t) => {
  const plank = client();
  t.after(() => plank.close());
  const inbox = collect();
  const sub = plank.subscribe('items', inbox.handler);
  await sub.ready;
  await sub.unsubscribe();
  const item = await rest('POST', '/api/items', { name: `unsub-${Date.now()}`, value: 1 });
  await pingRoundTrip(plank);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(inbox.all.length, 0);
  await rest('DELETE', `/api/items/${item.id}`);
});

live('a subscription made before the connection opens resolves once, with no resync', async (t) => {
  const plank = client();
  t.after(() => plank.close());
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  assert.equal(plank.state, 'connecting');
  const sub = plank.subscribe('items', () => {}); // before the socket even exists
  await sub.ready;
  await pingRoundTrip(plank);
  assert.deepEqual(resyncs, []);
});

live('an app that subscribes again on every refusal does not flood the server', async (t) => {
  const plank = client({ minDelay: 50, maxDelay: 400 });
  t.after(() => plank.close());
  let refusals = 0;
  let stop = false;
  const follow = () => plank.subscribe('no_such_table', () => {}).ready.catch((error) => {
    if (stop) return; // the last one, held back, is closed with the client
    assert.equal(error.code, 'unknown_channel');
    refusals++;
    follow();
  });
  follow();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  stop = true;
  // 25-50 ms doubling to 200-400 ms: at most about 7 in a second (without the back-off, hundreds).
  assert.ok(refusals >= 2 && refusals <= 9, `${refusals} refused subscribes in 1 s`);
  assert.ok((await plank.ping()) >= 0);
});

// --- helpers ----------------------------------------------------------------------------

/**
 * Ends the client's connection with `disconnect`, writes while it cannot reconnect, and checks
 * the guarantee: what was written meanwhile is replayed (a server that resumes), or the app gets
 * `resync` (one that cannot); and every later change arrives exactly once.
 */
async function survivesOutage(t, disconnect, expectedCode) {
  // A short handshake timeout: Node 20's WebSocket never reports a connection the proxy resets.
  const plank = client({ minDelay: 100, timeout: 1000 });
  t.after(() => plank.close());
  const events = [];
  for (const name of ['closed', 'open', 'resync']) plank.on(name, (d) => events.push({ name, ...d }));
  const inbox = collect();
  await plank.subscribe('items', inbox.handler).ready;
  const item = await rest('POST', '/api/items', { name: `outage-${Date.now()}`, value: 1 });
  await inbox.next((c) => c.data.id === item.id);
  const updates = () => inbox.all.filter((c) => c.type === 'UPDATE' && c.data.id === item.id);

  events.length = 0;
  proxy.refuse(true); // reconnects fail until the writes below are in
  const closed = waitFor(plank, 'closed');
  const cutAt = Date.now();
  disconnect();
  assert.equal((await closed).code, expectedCode);
  for (let v = 2; v <= 4; v++) await rest('PATCH', `/api/items/${item.id}`, { value: v });
  proxy.refuse(false);
  const resynced = () => events.some((e) => e.name === 'resync');
  await until(() => resynced() || updates().some((c) => c.data.value === 4));
  const resumed = !resynced();
  t.diagnostic(`${resumed ? 'resumed' : 'resynced'} ${Date.now() - cutAt} ms after the ${expectedCode} close`);
  if (!resumed) assert.deepEqual(events.find((e) => e.name === 'resync'), { name: 'resync', channel: 'items', reason: 'reconnected' });
  assert.equal(plank.state, 'open');

  // Live again: every later change arrives exactly once, and a resumed stream has them all.
  for (let v = 5; v <= 6; v++) await rest('PATCH', `/api/items/${item.id}`, { value: v });
  await inbox.next((c) => c.type === 'UPDATE' && c.data.id === item.id && c.data.value === 6);
  await pingRoundTrip(plank);
  const values = updates().map((c) => c.data.value);
  assert.deepEqual(resumed ? values : values.filter((v) => v >= 5), resumed ? [2, 3, 4, 5, 6] : [5, 6]);
  assertNoRepeats(inbox.all);
  await rest('DELETE', `/api/items/${item.id}`);
}

async function until(predicate) {
  const end = Date.now() + WAIT;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`not within ${WAIT} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function client(options = {}) {
  return new Plank(`ws://127.0.0.1:${proxy.port}/ws`, { heartbeat: 0, ...options });
}

async function rest(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

/** Collects changes; `next(predicate)` waits for the first (past or future) that matches. */
function collect() {
  const all = [];
  const waiters = [];
  return {
    all,
    handler(change) {
      all.push(change);
      for (const w of [...waiters]) {
        if (w.predicate(change)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(change);
        }
      }
    },
    next(predicate) {
      const found = all.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`no matching change within ${WAIT} ms`)), WAIT).unref();
      });
    },
  };
}

function waitFor(plank, event) {
  return new Promise((resolve, reject) => {
    const off = plank.on(event, (detail) => {
      off();
      resolve(detail);
    });
    setTimeout(() => reject(new Error(`no '${event}' within ${WAIT} ms`)), WAIT).unref();
  });
}

/** The server answers in order: once the pong is here, earlier changes are here too. */
async function pingRoundTrip(plank) {
  await plank.ping();
}

function assertNoRepeats(changes) {
  const seqs = changes.map((c) => c.seq);
  assert.equal(new Set(seqs).size, seqs.length, `repeated seq in ${seqs}`);
}

/**
 * A TCP proxy to the server whose connections the test can cut, freeze, or close with a
 * WebSocket close frame of its choice, and which can refuse new connections for a while.
 */
function startProxy(host, port) {
  const pairs = new Set();
  let refusing = false;
  const server = net.createServer((downstream) => {
    if (refusing) {
      downstream.resetAndDestroy?.() ?? downstream.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    const pair = { downstream, upstream };
    pairs.add(pair);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        server,
        port: server.address().port,
        cut() {
          for (const { downstream, upstream } of pairs) {
            downstream.resetAndDestroy?.() ?? downstream.destroy();
            upstream.destroy();
          }
        },
        freeze() {
          for (const { downstream, upstream } of pairs) {
            downstream.unpipe(upstream);
            upstream.unpipe(downstream);
            downstream.pause();
            upstream.pause();
          }
        },
        /** Sends the client a server close frame (as the server would), then ends the TCP connection. */
        closeWith(code, reason) {
          for (const pair of [...pairs]) {
            const { downstream, upstream } = pair;
            pairs.delete(pair);
            downstream.unpipe(upstream);
            upstream.unpipe(downstream);
            upstream.removeAllListeners('close');
            upstream.on('error', () => {});
            upstream.destroy();
            const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
            payload.writeUInt16BE(code);
            payload.write(reason, 2);
            downstream.on('data', () => {}); // the client's close frame in reply
            downstream.end(Buffer.concat([Buffer.from([0x88, payload.length]), payload]));
          }
        },
        refuse(on) {
          refusing = on;
        },
      });
    });
  });
}
