// Protocol logic of plank-client.js against a scripted in-memory WebSocket: no server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Plank, PlankError, matchesFilter, websocketUrl } from '../plank-client.js';

/** A WebSocket stand-in: records what the client sends; the test plays the server. */
class FakeSocket {
  static sockets = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.sockets.push(this);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close(code = 1000, reason = '') {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
  // --- the server's side ---
  open() { this.readyState = 1; this.onopen?.({}); }
  receive(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
  drop(code = 1006, reason = '') { this.readyState = 3; this.onclose?.({ code, reason }); }
  last(action) { return this.sent.filter((m) => m.action === action).at(-1); }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const until = async (predicate, ms = 2000) => {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const change = (seq, type = 'INSERT', data = { id: seq, value: seq }) => ({
  type, channel: 'items', schema: 'public', table: 'items', data, seq, cursor: `${seq}.900`, ts: new Date().toISOString(),
});

async function connected(options = {}) {
  FakeSocket.sockets = [];
  const plank = new Plank('ws://test/ws', { WebSocket: FakeSocket, minDelay: 10, maxDelay: 40, heartbeat: 0, ...options });
  await tick();
  const socket = FakeSocket.sockets.at(-1);
  socket.open();
  return { plank, socket };
}

test('websocketUrl accepts ws and http base URLs', () => {
  assert.equal(websocketUrl('ws://h:8000/ws'), 'ws://h:8000/ws');
  assert.equal(websocketUrl('ws://h:8000'), 'ws://h:8000/ws');
  assert.equal(websocketUrl('http://h:8000'), 'ws://h:8000/ws');
  assert.equal(websocketUrl('https://h/'), 'wss://h/ws');
  assert.equal(websocketUrl('https://h/plank/'), 'wss://h/plank/ws');
  assert.equal(websocketUrl('http://h:8000/ws'), 'ws://h:8000/ws');
  assert.throws(() => websocketUrl('ftp://h/'), TypeError);
});

test('subscribe sends the request, resolves on acknowledgement, delivers changes', async () => {
  const { plank, socket } = await connected();
  const got = [];
  const sub = plank.subscribe('items', { events: ['INSERT'], filter: 'value=gt.10' }, (c) => got.push(c));
  const request = socket.last('subscribe');
  assert.deepEqual(
    { ...request, id: undefined },
    { action: 'subscribe', channel: 'items', events: ['INSERT'], filter: 'value=gt.10', id: undefined },
  );
  // The acknowledgement and a change in the same turn: the change must not be lost.
  socket.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  socket.receive(change(1));
  assert.equal(await sub.ready, sub);
  assert.deepEqual(got.map((c) => c.seq), [1]);
  assert.equal(sub.cursor, '1.900');
  plank.close();
});

test('an error reply rejects with a typed PlankError', async () => {
  const { plank, socket } = await connected();
  const sub = plank.subscribe('items', { filter: 'name=like.a*' }, () => {});
  const { id } = socket.last('subscribe');
  socket.receive({ type: 'error', id, code: 'bad_filter', message: "unknown operator 'like'" });
  await assert.rejects(sub.ready, (e) => e instanceof PlankError && e.code === 'bad_filter' && e.channel === 'items');
  assert.equal(sub.closed, true);
  plank.close();
});

test('changes are delivered once per seq, in arrival order, even out of seq order', async () => {
  const { plank, socket } = await connected();
  const got = [];
  plank.subscribe('items', (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  for (const seq of [5, 7, 6, 7, 5, 8]) socket.receive(change(seq)); // commit order ≠ seq order
  assert.deepEqual(got, [5, 7, 6, 8]);
  plank.close();
});

test('reconnects with back-off, resubscribes, and emits resync when the server cannot resume', async () => {
  const { plank, socket } = await connected();
  const events = [];
  for (const name of ['connecting', 'open', 'closed', 'resync']) plank.on(name, (d) => events.push([name, d]));
  const got = [];
  const sub = plank.subscribe('items', { filter: 'value=gt.1' }, (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(10));
  await sub.ready;

  socket.drop();
  assert.equal(plank.state, 'closed');
  const closed = events.find(([n]) => n === 'closed')[1];
  assert.ok(closed.retryIn >= 5 && closed.retryIn <= 10, `retryIn ${closed.retryIn}`);
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();

  // It asks to resume from the last cursor; this server refuses, so it subscribes plainly.
  const resume = second.last('subscribe');
  assert.equal(resume.since, '10.900');
  assert.equal(resume.filter, 'value=gt.1');
  second.receive({ type: 'error', id: resume.id, code: 'bad_request', message: "'since' is not supported by this server yet" });
  const plain = second.last('subscribe');
  assert.notEqual(plain.id, resume.id);
  assert.equal(plain.since, undefined);
  assert.equal(events.some(([n]) => n === 'resync'), false, 'resync only once live again');
  second.receive({ type: 'subscribed', id: plain.id, channel: 'items' });
  assert.deepEqual(events.find(([n]) => n === 'resync')[1], { channel: 'items', reason: 'reconnected' });
  second.receive(change(10)); // a repeat is dropped
  second.receive(change(11));
  assert.deepEqual(got, [10, 11]);
  assert.equal(sub.closed, false);

  // Later reconnects do not ask to resume again.
  second.drop();
  await until(() => FakeSocket.sockets.length === 3);
  FakeSocket.sockets[2].open();
  assert.equal(FakeSocket.sockets[2].last('subscribe').since, undefined);
  plank.close();
});

test('with a resuming server, the replay joins the live stream without repeats', async () => {
  const { plank, socket } = await connected();
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  const got = [];
  plank.subscribe('items', (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(1));
  socket.receive(change(2));
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  const request = second.last('subscribe');
  assert.equal(request.since, '2.900');
  second.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  for (const seq of [2, 3, 4]) second.receive(change(seq));
  assert.deepEqual(got, [1, 2, 3, 4]);
  assert.deepEqual(resyncs, []);
  plank.close();
});

test('resume: false never sends since and always resyncs', async () => {
  const { plank, socket } = await connected({ resume: false });
  let resyncs = 0;
  plank.on('resync', () => resyncs++);
  plank.subscribe('items', () => {});
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(1));
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  FakeSocket.sockets[1].open();
  const request = FakeSocket.sockets[1].last('subscribe');
  assert.equal(request.since, undefined);
  FakeSocket.sockets[1].receive({ type: 'subscribed', id: request.id, channel: 'items' });
  assert.equal(resyncs, 1);
  plank.close();
});

test('back-off grows while the server is down and restarts once it answers', async () => {
  FakeSocket.sockets = [];
  const plank = new Plank('ws://test/ws', { WebSocket: FakeSocket, minDelay: 4, maxDelay: 16, heartbeat: 0 });
  const delays = [];
  plank.on('closed', (d) => delays.push(d.retryIn));
  for (let i = 1; i <= 5; i++) {
    await until(() => FakeSocket.sockets.length === i);
    FakeSocket.sockets[i - 1].drop();
  }
  const ceilings = [4, 8, 16, 16, 16];
  delays.forEach((d, i) => assert.ok(d >= ceilings[i] / 2 && d <= ceilings[i], `delay ${i}: ${d}`));
  await until(() => FakeSocket.sockets.length === 6);
  const socket = FakeSocket.sockets[5];
  socket.open();
  socket.receive({ type: 'pong', id: 'x' }); // any reply proves the server works
  socket.drop();
  assert.ok(delays.at(-1) <= 4);
  plank.close();
});

test('a missed heartbeat replaces the connection', async () => {
  const { plank, socket } = await connected({ heartbeat: 20, timeout: 30 });
  const closed = [];
  plank.on('closed', (d) => closed.push(d));
  await until(() => socket.last('ping'));
  await until(() => closed.length === 1, 500);
  assert.equal(closed[0].code, 4000);
  assert.equal(socket.readyState, 3);
  await until(() => FakeSocket.sockets.length === 2);
  plank.close();
});

test('a handshake that never completes is given up and retried', async () => {
  FakeSocket.sockets = [];
  const plank = new Plank('ws://test/ws', { WebSocket: FakeSocket, minDelay: 10, maxDelay: 40, heartbeat: 0, timeout: 30 });
  const closed = [];
  plank.on('closed', (d) => closed.push(d));
  await until(() => FakeSocket.sockets.length === 1);
  await until(() => closed.length === 1, 500); // the first socket never opens
  assert.equal(closed[0].code, 1006);
  assert.equal(FakeSocket.sockets[0].readyState, 3);
  await until(() => FakeSocket.sockets.length === 2);
  FakeSocket.sockets[1].open();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(closed.length, 1, 'an open socket is not timed out');
  assert.equal(plank.state, 'open');
  plank.close();
});

test('ping resolves with the round-trip time', async () => {
  const { plank, socket } = await connected();
  const rtt = plank.ping();
  socket.receive({ type: 'pong', id: socket.last('ping').id });
  assert.ok((await rtt) >= 0);
  plank.close();
  await assert.rejects(plank.ping(), (e) => e.code === 'closed');
});

test('subscribing again replaces the subscription once acknowledged', async () => {
  const { plank, socket } = await connected();
  const first = [];
  const second = [];
  const a = plank.subscribe('items', (c) => first.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(1));
  const b = plank.subscribe('items', { filter: 'value=gt.5' }, (c) => second.push(c.seq));
  socket.receive(change(2)); // the server still applies the first subscription
  assert.equal(a.closed, false);
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(6));
  await b.ready;
  assert.equal(a.closed, true);
  assert.deepEqual(first, [1, 2]);
  assert.deepEqual(second, [6]);
  // Unsubscribing the replaced one tells the server nothing.
  await a.unsubscribe();
  assert.equal(socket.last('unsubscribe'), undefined);
  const done = b.unsubscribe();
  socket.receive({ type: 'unsubscribed', id: socket.last('unsubscribe').id, channel: 'items' });
  await done;
  socket.receive(change(7));
  assert.deepEqual(second, [6]);
  plank.close();
});

test('a refused replacement leaves the earlier subscription running', async () => {
  const { plank, socket } = await connected();
  const got = [];
  const a = plank.subscribe('items', { filter: 'value=gt.1' }, (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  const b = plank.subscribe('items', { filter: 'value=like.1' }, () => assert.fail('refused'));
  socket.receive({ type: 'error', id: socket.last('subscribe').id, code: 'bad_filter', message: 'no like' });
  await assert.rejects(b.ready, (e) => e.code === 'bad_filter');
  socket.receive(change(3));
  assert.deepEqual(got, [3]);
  assert.equal(a.closed, false);
  assert.equal(socket.sent.filter((m) => m.action === 'subscribe').length, 2, 'nothing to restore');
  plank.close();
});

test('superseded and withdrawn replacements end with the server applying what the app wants', async () => {
  const { plank, socket } = await connected();
  const got = [];
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  const a = plank.subscribe('items', { filter: 'value=gt.1' }, (c) => got.push(['a', c.seq]));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(2));
  const b = plank.subscribe('items', { filter: 'value=gt.2' }, (c) => got.push(['b', c.seq]));
  const bId = socket.last('subscribe').id;
  const c = plank.subscribe('items', { filter: 'value=gt.3' }, (ch) => got.push(['c', ch.seq]));
  const cId = socket.last('subscribe').id;
  await assert.rejects(b.ready, (e) => e.code === 'closed'); // superseded before its reply
  socket.receive({ type: 'subscribed', id: bId, channel: 'items' });
  socket.receive(change(4)); // the server applies b's filter: nobody wants it
  socket.receive({ type: 'error', id: cId, code: 'bad_filter', message: 'refused' });
  await assert.rejects(c.ready);
  // Back to a, resumed from the last change a itself received: what b's filter left out (3) and
  // what came under b's filter but never reached a (4) are replayed, and both reach a.
  const restore = socket.last('subscribe');
  assert.equal(restore.filter, 'value=gt.1');
  assert.equal(restore.since, '2.900');
  socket.receive({ type: 'subscribed', id: restore.id, channel: 'items' });
  for (const seq of [3, 4, 5]) socket.receive(change(seq));
  assert.deepEqual(got, [['a', 2], ['a', 3], ['a', 4], ['a', 5]]);
  assert.equal(a.closed, false);
  assert.deepEqual(resyncs, []);

  // A replacement withdrawn before its reply: a is applied again afterwards.
  const d = plank.subscribe('items', { filter: 'value=gt.9' }, () => assert.fail('withdrawn'));
  const dId = socket.last('subscribe').id;
  await d.unsubscribe();
  socket.receive({ type: 'subscribed', id: dId, channel: 'items' });
  assert.equal(socket.last('subscribe').filter, 'value=gt.1');
  assert.equal(socket.last('subscribe').since, '5.900');
  assert.equal(socket.last('unsubscribe'), undefined);
  plank.close();
});

test('a subscription put back without a cursor resyncs, with reason restored', async () => {
  const { plank, socket } = await connected();
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  const a = plank.subscribe('items', { filter: 'value=gt.1' }, () => {});
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  plank.subscribe('items', { filter: 'value=gt.2' }, () => {}).unsubscribe();
  const withdrawn = socket.last('subscribe');
  socket.receive({ type: 'subscribed', id: withdrawn.id, channel: 'items' });
  const restore = socket.last('subscribe');
  assert.notEqual(restore.id, withdrawn.id);
  assert.equal(restore.since, undefined); // a has received nothing to resume from
  socket.receive({ type: 'subscribed', id: restore.id, channel: 'items' });
  assert.deepEqual(resyncs, [{ channel: 'items', reason: 'restored' }]);
  assert.equal(a.closed, false);
  plank.close();
});

test("the server's resync is passed on once the subscription is live, and the stream goes on", async () => {
  const { plank, socket } = await connected();
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  const got = [];
  const sub = plank.subscribe('items', (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(1));
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  const request = second.last('subscribe');
  assert.equal(request.since, '1.900');
  // Too old: the server says so before its acknowledgement; the app hears of it once live.
  second.receive({ type: 'resync', channel: 'items', reason: 'cursor_expired' });
  assert.deepEqual(resyncs, []);
  assert.equal(sub.cursor, null, 'an expired cursor is not sent again');
  second.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  assert.deepEqual(resyncs, [{ channel: 'items', reason: 'cursor_expired' }]);
  second.receive(change(9));
  assert.deepEqual(got, [1, 9]);
  assert.equal(sub.cursor, '9.900');
  // A resync on a live subscription is passed on at once.
  second.receive({ type: 'resync', channel: 'items', reason: 'cursor_expired' });
  assert.equal(resyncs.length, 2);
  // Dropped before any further change: nothing to resume from, so one resync of the client's own.
  second.drop();
  await until(() => FakeSocket.sockets.length === 3);
  const third = FakeSocket.sockets[2];
  third.open();
  assert.equal(third.last('subscribe').since, undefined);
  third.receive({ type: 'subscribed', id: third.last('subscribe').id, channel: 'items' });
  assert.deepEqual(resyncs.at(-1), { channel: 'items', reason: 'reconnected' });
  assert.equal(resyncs.length, 3);
  assert.equal(sub.closed, false);
  plank.close();
});

test('a 1008 slow-consumer close is a drop like any other: reconnect at once, resume', async () => {
  const { plank, socket } = await connected({ minDelay: 20 });
  const closed = [];
  const resyncs = [];
  plank.on('closed', (d) => closed.push(d));
  plank.on('resync', (d) => resyncs.push(d));
  const got = [];
  plank.subscribe('items', (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(1));
  socket.receive(change(2));
  socket.drop(1008, 'slow consumer');
  assert.equal(closed[0].code, 1008);
  assert.equal(closed[0].reason, 'slow consumer');
  assert.ok(closed[0].retryIn <= 20, `the server answered until then: no back-off (${closed[0].retryIn})`);
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  const request = second.last('subscribe');
  assert.equal(request.since, '2.900');
  second.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  for (const seq of [2, 3]) second.receive(change(seq));
  assert.deepEqual(got, [1, 2, 3]);
  assert.deepEqual(resyncs, []);
  plank.close();
});

test('a 1012 service restart (a draining node) reconnects at once, not after the back-off, and resumes', async () => {
  // A back-off of at least 2 s after failures: a 1012 must not wait for it.
  const { plank, socket } = await connected({ minDelay: 4000, maxDelay: 8000 });
  plank._attempt = 3;
  const closed = [];
  plank.on('closed', (d) => closed.push(d));
  const got = [];
  plank.subscribe('items', (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(1));
  plank._attempt = 3; // as if the server had failed three times before
  socket.drop(1012, 'service restart');
  assert.equal(closed[0].code, 1012);
  assert.ok(closed[0].retryIn <= 1000, `at most minDelay/4, not the back-off (${closed[0].retryIn})`);
  assert.equal(plank._attempt, 3, 'a drain is no failure: the back-off does not grow');
  await until(() => FakeSocket.sockets.length === 2, 3000);
  const second = FakeSocket.sockets[1];
  second.open();
  const request = second.last('subscribe');
  assert.equal(request.since, '1.900');
  second.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  for (const seq of [1, 2]) second.receive(change(seq));
  assert.deepEqual(got, [1, 2]);
  plank.close();
});

test('several URLs: starts at one of them, and each reconnect moves to another one at random', async () => {
  FakeSocket.sockets = [];
  const urls = ['ws://a/ws', 'http://b:8000', 'ws://c/ws'];
  const plank = new Plank(urls, { WebSocket: FakeSocket, minDelay: 1, maxDelay: 2, heartbeat: 0 });
  assert.deepEqual(plank.urls, ['ws://a/ws', 'ws://b:8000/ws', 'ws://c/ws']);
  await tick();
  for (let i = 0; i < 30; i++) {
    await until(() => FakeSocket.sockets.length === i + 1);
    FakeSocket.sockets[i].drop(1006, 'gone');
  }
  await until(() => FakeSocket.sockets.length === 31);
  const used = FakeSocket.sockets.map((s) => s.url);
  assert.ok(plank.urls.includes(used[0]));
  for (let i = 1; i < used.length; i++) assert.notEqual(used[i], used[i - 1], `reconnect ${i} moved on`);
  // Random, not a fixed rotation: a dead node's clients do not all land on the same next node.
  const next = new Set();
  for (let i = 1; i < used.length; i++) if (used[i - 1] === 'ws://a/ws') next.add(used[i]);
  assert.deepEqual([...next].sort(), ['ws://b:8000/ws', 'ws://c/ws']);
  assert.deepEqual(new Set(used), new Set(plank.urls));
  plank.close();
});

test('urls may also be given as an option; one URL keeps reconnecting to it', async () => {
  FakeSocket.sockets = [];
  const plank = new Plank(undefined, { urls: ['ws://a/ws', 'ws://b/ws'], WebSocket: FakeSocket, heartbeat: 0 });
  assert.deepEqual(plank.urls, ['ws://a/ws', 'ws://b/ws']);
  assert.equal(plank.options.urls, undefined);
  plank.close();
  const single = new Plank('ws://only/ws', { WebSocket: FakeSocket, minDelay: 1, maxDelay: 2, heartbeat: 0 });
  await tick();
  FakeSocket.sockets.at(-1).drop(1012, 'service restart');
  await until(() => FakeSocket.sockets.at(-1).url === 'ws://only/ws' && FakeSocket.sockets.length === 2);
  single.close();
  assert.throws(() => new Plank([], { WebSocket: FakeSocket }), TypeError);
});

test('snapshot pages go to onSnapshot before the changes, held until the acknowledgement', async () => {
  const { plank, socket } = await connected();
  assert.throws(() => plank.subscribe('items', { snapshot: true }, () => {}), TypeError);
  const seen = [];
  const sub = plank.subscribe('items', {
    snapshot: true,
    onSnapshot: (rows, page) => seen.push(['snapshot', rows.map((r) => r.id), page]),
  }, (c) => seen.push(['change', c.seq]));
  const request = socket.last('subscribe');
  assert.equal(request.snapshot, true);
  // One page before the acknowledgement, one after: both reach the app, in order, after it.
  socket.receive({ type: 'snapshot', channel: 'items', rows: [{ id: 1 }, { id: 2 }] });
  assert.deepEqual(seen, []);
  socket.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  socket.receive({ type: 'snapshot', channel: 'items', rows: [{ id: 3 }], last: true });
  socket.receive(change(7));
  await sub.ready;
  assert.deepEqual(seen, [
    ['snapshot', [1, 2], { channel: 'items', first: true, last: false }],
    ['snapshot', [3], { channel: 'items', first: false, last: true }],
    ['change', 7],
  ]);

  // Complete, and a change since: a reconnect resumes; no second snapshot, no resync.
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  assert.equal(second.last('subscribe').since, '7.900');
  assert.equal(second.last('subscribe').snapshot, undefined);
  plank.close();
  assert.deepEqual(resyncs, []);
});

test('a snapshot cut short, or not resumable, comes again from its first page instead of a resync', async () => {
  const { plank, socket } = await connected({ resume: false });
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  const pages = [];
  plank.subscribe('items', { snapshot: true, onSnapshot: (rows, page) => pages.push([rows.length, page.first, page.last]) }, () => {});
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive({ type: 'snapshot', channel: 'items', rows: [{ id: 1 }] });
  socket.drop(); // mid-snapshot
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  const again = second.last('subscribe');
  assert.equal(again.snapshot, true);
  assert.equal(again.since, undefined);
  second.receive({ type: 'subscribed', id: again.id, channel: 'items' });
  second.receive({ type: 'snapshot', channel: 'items', rows: [{ id: 1 }, { id: 2 }], last: true });
  assert.deepEqual(pages, [[1, true, false], [2, true, true]]);
  assert.deepEqual(resyncs, [], 'the fresh snapshot is the reload');
  plank.close();
});

test('a throwing handler does not stop delivery', async () => {
  const { plank, socket } = await connected();
  const reported = [];
  const original = globalThis.reportError;
  globalThis.reportError = (e) => reported.push(e);
  try {
    const got = [];
    plank.subscribe('items', (c) => {
      got.push(c.seq);
      if (c.seq === 1) throw new Error('app bug');
    });
    socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
    socket.receive(change(1));
    socket.receive(change(2));
    assert.deepEqual(got, [1, 2]);
    assert.equal(reported[0].message, 'app bug');
  } finally {
    globalThis.reportError = original;
    plank.close();
  }
});

test('close stops everything and rejects what waits', async () => {
  const { plank, socket } = await connected();
  const sub = plank.subscribe('items', () => {});
  const closed = [];
  plank.on('closed', (d) => closed.push(d));
  plank.close();
  await assert.rejects(sub.ready, (e) => e.code === 'closed');
  assert.equal(socket.readyState, 3);
  assert.deepEqual(closed, [{ code: 1000, reason: 'client closed', retryIn: null }]);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(FakeSocket.sockets.length, 1, 'no reconnect after close');
});

test('a subscription made before the first open is not a reconnect: no resync, one load', async () => {
  FakeSocket.sockets = [];
  const plank = new Plank('ws://test/ws', { WebSocket: FakeSocket, minDelay: 10, maxDelay: 40, heartbeat: 0 });
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  let loads = 0;
  const load = () => loads++;
  plank.on('resync', load); // the README's pattern: reload on resync, and once after ready
  const sub = plank.subscribe('items', () => {});
  sub.ready.then(load);
  await tick();
  const socket = FakeSocket.sockets[0];
  socket.open();
  const request = socket.last('subscribe');
  assert.equal(request.since, undefined);
  socket.receive({ type: 'subscribed', id: request.id, channel: 'items' });
  await sub.ready;
  await tick();
  assert.deepEqual(resyncs, []);
  assert.equal(loads, 1);

  // A real reconnect that cannot resume (nothing was received) still resyncs, once.
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  second.receive({ type: 'subscribed', id: second.last('subscribe').id, channel: 'items' });
  assert.deepEqual(resyncs, [{ channel: 'items', reason: 'reconnected' }]);
  assert.equal(loads, 2);
  plank.close();
});

test('a subscription made while disconnected is not a reconnect either', async () => {
  const { plank, socket } = await connected();
  const resyncs = [];
  plank.on('resync', (d) => resyncs.push(d));
  socket.drop();
  const sub = plank.subscribe('items', () => {});
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  second.receive({ type: 'subscribed', id: second.last('subscribe').id, channel: 'items' });
  await sub.ready;
  assert.deepEqual(resyncs, []);
  plank.close();
});

test('an app that subscribes again on every refusal is held back: bounded requests, each refusal surfaced', async () => {
  const { plank, socket } = await connected({ minDelay: 20, maxDelay: 200 });
  // The server refuses every subscribe at once, as Plank does for a table it does not capture.
  const send = socket.send.bind(socket);
  socket.send = (text) => {
    send(text);
    const m = JSON.parse(text);
    if (m.action === 'subscribe') {
      setTimeout(() => socket.receive({ type: 'error', id: m.id, code: 'unknown_channel', message: "unknown channel 'items' (captured: orders)" }), 0);
    }
  };
  const refusals = [];
  let stop = false;
  const follow = () => {
    plank.subscribe('items', () => {}).ready.catch((error) => {
      refusals.push(error);
      if (!stop) follow(); // the loop the dashboard once had
    });
  };
  follow();
  await new Promise((resolve) => setTimeout(resolve, 500));
  stop = true;
  const sent = socket.sent.filter((m) => m.action === 'subscribe').length;
  // Back-off from 10-20 ms doubling to 100-200 ms: at most 1 + 2 + … ≈ 8 in 500 ms (thousands without it).
  assert.ok(sent >= 3 && sent <= 10, `${sent} subscribes in 500 ms`);
  assert.ok(refusals.length >= sent - 1, 'each refusal rejects its subscription');
  assert.ok(refusals.every((e) => e instanceof PlankError && e.code === 'unknown_channel' && e.channel === 'items'));
  plank.close();
});

test('after a refusal, a later subscribe waits out the back-off; an acknowledgement resets it', async () => {
  const { plank, socket } = await connected({ minDelay: 100, maxDelay: 400 });
  const count = () => socket.sent.filter((m) => m.action === 'subscribe').length;
  const bad = plank.subscribe('items', { filter: 'value=like.1' }, () => {});
  socket.receive({ type: 'error', id: socket.last('subscribe').id, code: 'bad_filter', message: 'no like' });
  await assert.rejects(bad.ready, (e) => e.code === 'bad_filter');
  const refusedAt = Date.now();
  const good = plank.subscribe('items', { filter: 'value=gt.1' }, () => {});
  assert.equal(count(), 1, 'held back');
  await until(() => count() === 2);
  assert.ok(Date.now() - refusedAt >= 45, `waited ${Date.now() - refusedAt} ms`);
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  await good.ready;
  plank.subscribe('items', { filter: 'value=gt.2' }, () => {});
  assert.equal(count(), 3, 'sent at once after an acknowledgement');
  // Unsubscribing or closing while held sends nothing later.
  socket.receive({ type: 'error', id: socket.last('subscribe').id, code: 'bad_filter', message: 'no' });
  const held = plank.subscribe('items', { filter: 'value=gt.3' }, () => {});
  await held.unsubscribe();
  plank.close();
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(count(), 3);
});

test('a reconnect during the back-off: the held subscribe goes out when it ends, and a refusal puts back the live one', async () => {
  const { plank, socket } = await connected({ minDelay: 100, maxDelay: 400 });
  const got = [];
  const a = plank.subscribe('items', { filter: 'value=gt.1' }, (c) => got.push(c.seq));
  socket.receive({ type: 'subscribed', id: socket.last('subscribe').id, channel: 'items' });
  socket.receive(change(2));
  // Three refusals in a row: the next subscribe waits 200-400 ms, longer than the reconnect.
  for (let i = 1; i <= 3; i++) {
    plank.subscribe('items', { filter: `value=like.${i}` }, () => {});
    await until(() => socket.last('subscribe').filter === `value=like.${i}`);
    socket.receive({ type: 'error', id: socket.last('subscribe').id, code: 'bad_filter', message: 'no like' });
  }
  const held = plank.subscribe('items', { filter: 'value=like.4' }, () => {});
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  const second = FakeSocket.sockets[1];
  second.open();
  assert.equal(second.last('subscribe'), undefined, 'still held back');
  await until(() => second.last('subscribe'));
  assert.equal(second.last('subscribe').filter, 'value=like.4');
  assert.equal(second.last('subscribe').since, undefined, 'sent as the new subscription it is');
  second.receive({ type: 'error', id: second.last('subscribe').id, code: 'bad_filter', message: 'no like' });
  await assert.rejects(held.ready, (e) => e.code === 'bad_filter');
  const restore = second.last('subscribe');
  assert.equal(restore.filter, 'value=gt.1');
  assert.equal(restore.since, '2.900');
  second.receive({ type: 'subscribed', id: restore.id, channel: 'items' });
  second.receive(change(3));
  assert.deepEqual(got, [2, 3]);
  assert.equal(a.closed, false);
  plank.close();
});

test('matchesFilter evaluates the protocol filter like the server', () => {
  const row = { id: 7, name: 'apple', value: 11, flag: true, note: null };
  assert.equal(matchesFilter('', row), true);
  assert.equal(matchesFilter('value=gt.10', row), true);
  assert.equal(matchesFilter('value=gt.11', row), false);
  assert.equal(matchesFilter('value=gte.11&name=eq.apple', row), true);
  assert.equal(matchesFilter('value=lt.2', row), false);
  assert.equal(matchesFilter('value=lte.11', row), true);
  assert.equal(matchesFilter('name=neq.pear', row), true);
  assert.equal(matchesFilter('name=in.(pear,apple)', row), true);
  assert.equal(matchesFilter('value=in.(1,2)', row), false);
  assert.equal(matchesFilter('note=is.null', row), true);
  assert.equal(matchesFilter('name=is.null', row), false);
  assert.equal(matchesFilter('flag=is.true', row), true);
  assert.equal(matchesFilter('note=eq.x', row), false);
  assert.equal(matchesFilter('value=gt.10', null), false);
  assert.throws(() => matchesFilter('value=like.1', row), PlankError);
});

test('a topic joins, delivers broadcasts by event, keeps presence, and rejoins and re-tracks after a reconnect', async () => {
  const { plank, socket } = await connected();
  const topic = plank.topic('room:1');
  assert.equal(plank.topic('room:1'), topic);
  const join = socket.last('join');
  assert.deepEqual({ ...join, id: undefined }, { action: 'join', topic: 'room:1', id: undefined });
  socket.receive({ type: 'joined', id: join.id, topic: 'room:1' });
  socket.receive({ type: 'presence_state', topic: 'room:1', state: { bob: [{ s: 1, presence_ref: 'n.1' }] } });
  assert.equal(await topic.ready, topic);
  assert.deepEqual(topic.presence, { bob: [{ s: 1, presence_ref: 'n.1' }] });

  const hellos = [];
  const all = [];
  topic.on('hello', (payload, detail) => hellos.push([payload, detail.event]));
  topic.on('*', (payload, detail) => all.push(detail.event));
  socket.receive({ type: 'broadcast', topic: 'room:1', event: 'hello', payload: { a: 1 } });
  socket.receive({ type: 'broadcast', topic: 'room:1', event: 'other', payload: null });
  socket.receive({ type: 'broadcast', topic: 'room:2', event: 'hello', payload: 2 });
  assert.deepEqual(hellos, [[{ a: 1 }, 'hello']]);
  assert.deepEqual(all, ['hello', 'other']);

  const changes = [];
  topic.onPresence((presence, change) => changes.push(change.type));
  socket.receive({
    type: 'presence_diff', topic: 'room:1',
    joins: { alice: [{ s: 2, presence_ref: 'n.2' }] }, leaves: { bob: [{ s: 1, presence_ref: 'n.1' }] },
  });
  assert.deepEqual(topic.presence, { alice: [{ s: 2, presence_ref: 'n.2' }] });
  assert.deepEqual(changes, ['diff']);

  // send with ack resolves on the server's acknowledgement; without, at once.
  const acked = topic.send('e', { x: 1 }, { self: true, ack: true });
  const sent = socket.last('broadcast');
  assert.deepEqual({ ...sent, id: undefined }, { action: 'broadcast', topic: 'room:1', event: 'e', payload: { x: 1 }, self: true, ack: true, id: undefined });
  socket.receive({ type: 'broadcasted', id: sent.id, topic: 'room:1' });
  await acked;
  await topic.send('quiet', 1);
  assert.equal(socket.last('broadcast').id, undefined);

  const tracked = topic.track({ online: true }, { key: 'me' });
  await tick();
  const track = socket.last('track');
  assert.deepEqual({ ...track, id: undefined }, { action: 'track', topic: 'room:1', state: { online: true }, key: 'me', id: undefined });
  socket.receive({ type: 'tracked', id: track.id, topic: 'room:1', key: 'me' });
  assert.equal(await tracked, 'me');

  // A reconnect joins again, then tracks again; the new state replaces the old.
  socket.drop();
  await until(() => FakeSocket.sockets.length === 2);
  const next = FakeSocket.sockets.at(-1);
  await until(() => typeof next.onopen === 'function');
  next.open();
  const rejoin = next.last('join');
  assert.equal(rejoin.topic, 'room:1');
  next.receive({ type: 'joined', id: rejoin.id, topic: 'room:1' });
  next.receive({ type: 'presence_state', topic: 'room:1', state: {} });
  assert.deepEqual(topic.presence, {});
  assert.deepEqual(next.last('track').state, { online: true });
  assert.equal(changes.at(-1), 'state');
  plank.close();
  await assert.rejects(plank.topic('late').ready, (e) => e.code === 'closed');
});

test('a refused join rejects the topic with its PlankError', async () => {
  const { plank, socket } = await connected();
  const topic = plank.topic('secret');
  plank.on('error', () => {});
  const { id } = socket.last('join');
  socket.receive({ type: 'error', id, code: 'forbidden', message: "not allowed to join topic 'secret'" });
  await assert.rejects(topic.ready, (e) => e instanceof PlankError && e.code === 'forbidden');
  assert.equal(topic.closed, true);
  assert.notEqual(plank.topic('secret'), topic);
  plank.close();
});
