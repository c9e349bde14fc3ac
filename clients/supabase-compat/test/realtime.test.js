// The unmodified Supabase client (@supabase/supabase-js) against Plank's Supabase-compatible
// endpoint, /realtime/v1/websocket. Run by src/test/java/dev/plank/build/SupabaseClientIT.java,
// which starts Plank with a `kinds` table (a column of each type realtime-js converts), a JWT
// secret and a policy, and passes: PLANK_URL, PLANK_JWT_SECRET, DATABASE_URL.
// Every write is plain SQL (the trigger captures it); every check is on the payload the client
// hands the application.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { createClient } from '@supabase/supabase-js';

const URL_ = process.env.PLANK_URL;
const SECRET = process.env.PLANK_JWT_SECRET;
const WAIT = 5000;

let db;
before(async () => {
  assert.ok(URL_ && SECRET && process.env.DATABASE_URL, 'PLANK_URL, PLANK_JWT_SECRET, DATABASE_URL');
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  await db.query("SET TIME ZONE 'UTC'"); // timestamptz values in the rows are written in it
});
after(() => db?.end());

/** An HS256 token signed with Plank's secret, as `plank token` makes. */
function token(claims, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now, exp: now + ttlSeconds, ...claims })}`;
  const sig = crypto.createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${sig}`;
}

const SERVICE = token({ role: 'service' });

/** A Supabase client for Plank: its URL and a key signed with Plank's secret. */
function client(t, { key = SERVICE, vsn, accessToken } = {}) {
  const supabase = createClient(URL_, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: vsn ? { vsn } : {},
    ...(accessToken ? { accessToken } : {}),
  });
  t.after(() => supabase.removeAllChannels());
  return supabase;
}

/** Subscribes and resolves once SUBSCRIBED; rejects on CHANNEL_ERROR or TIMED_OUT. */
function subscribed(channel) {
  const statuses = [];
  channel.statuses = statuses;
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      statuses.push({ status, err });
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
        reject(Object.assign(new Error(`${status}: ${err?.message}`), { status, err }));
      }
    });
  });
}

/** Collects payloads; next(match) waits for the first unseen one that matches. */
function inbox() {
  const items = [];
  const waiters = [];
  return {
    items,
    handler: (payload) => {
      items.push(payload);
      for (const w of [...waiters]) w();
    },
    next(match = () => true) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = items.findIndex(match);
          if (i < 0) return false;
          const [found] = items.splice(i, 1);
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`nothing matched within ${WAIT} ms; got ${JSON.stringify(items)}`));
        }, WAIT);
        waiters.push(check);
        check();
      });
    },
  };
}

const unique = () => `t${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

async function insertKind(label, owner = 'nobody') {
  const { rows } = await db.query(
    `INSERT INTO kinds (label, owner, big, flag, amount, doc, at, tags, nums, note)
     VALUES ($1, $2, 9007199254740991, true, 12.5, '{"a":{"b":[1,2]}}', '2026-01-02T03:04:05.678Z',
             '{x,y}', '{1,2,3}', NULL) RETURNING id`,
    [label, owner],
  );
  return rows[0].id;
}

for (const vsn of [undefined, '1.0.0']) {
  const name = vsn ?? 'default (2.0.0)';

  test(`vsn ${name}: '*' delivers INSERT, UPDATE, DELETE with converted values`, async (t) => {
    const supabase = client(t, { vsn });
    assert.equal(supabase.realtime.vsn, vsn ?? '2.0.0');
    const got = inbox();
    await subscribed(
      supabase
        .channel(`all-${unique()}`)
        .on('postgres_changes', { event: '*', schema: 'public', table: 'kinds' }, got.handler),
    );
    const label = unique();
    // Written right after SUBSCRIBED: Plank answers the join only once changes flow.
    const id = await insertKind(label);
    const ins = await got.next((p) => p.new.label === label);
    assert.equal(ins.eventType, 'INSERT');
    assert.equal(ins.schema, 'public');
    assert.equal(ins.table, 'kinds');
    assert.ok(!Number.isNaN(Date.parse(ins.commit_timestamp)), ins.commit_timestamp);
    assert.deepEqual(ins.errors, null);
    assert.deepEqual(ins.old, {});
    assert.deepEqual(ins.new, {
      id,
      label,
      owner: 'nobody',
      big: 9007199254740991,
      flag: true,
      amount: 12.5,
      doc: { a: { b: [1, 2] } },
      at: '2026-01-02T03:04:05.678+00:00',
      tags: ['x', 'y'],
      nums: [1, 2, 3],
      note: null,
    });

    await db.query(`UPDATE kinds SET flag = false, note = 'n' WHERE id = $1`, [id]);
    const upd = await got.next((p) => p.eventType === 'UPDATE' && p.new.id === id);
    assert.equal(upd.new.flag, false);
    assert.equal(upd.new.note, 'n');
    assert.equal(upd.old.flag, true);
    assert.equal(upd.old.note, null);

    await db.query(`DELETE FROM kinds WHERE id = $1`, [id]);
    const del = await got.next((p) => p.eventType === 'DELETE');
    assert.equal(del.old.id, id);
    assert.equal(del.old.label, label);
    assert.deepEqual(del.new, {});
  });
}

test('single events, a filter, and two bindings on one channel', async (t) => {
  const supabase = client(t);
  const inserts = inbox();
  const deletes = inbox();
  const label = unique();
  await subscribed(
    supabase
      .channel(`two-${unique()}`)
      .on(
        'postgres_changes',
        { event: 'INSERT', schema: 'public', table: 'kinds', filter: `label=eq.${label}` },
        inserts.handler,
      )
      .on('postgres_changes', { event: 'DELETE', schema: 'public', table: 'kinds' }, deletes.handler),
  );
  const other = await insertKind(unique());
  const mine = await insertKind(label);
  const got = await inserts.next();
  assert.equal(got.new.id, mine);
  await db.query(`UPDATE kinds SET note = 'u' WHERE id = $1`, [mine]);
  await db.query(`DELETE FROM kinds WHERE id = $1`, [other]);
  const del = await deletes.next();
  assert.equal(del.old.id, other);
  // The filtered INSERT binding saw only its row, and neither binding saw the UPDATE.
  assert.deepEqual(inserts.items, []);
  assert.deepEqual(deletes.items, []);
});

test('removeChannel stops delivery', async (t) => {
  const supabase = client(t);
  const gone = inbox();
  const control = inbox();
  const removed = await subscribed(
    supabase
      .channel(`gone-${unique()}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'kinds' }, gone.handler),
  );
  await subscribed(
    supabase
      .channel(`control-${unique()}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'kinds' }, control.handler),
  );
  const first = unique();
  await insertKind(first);
  await gone.next((p) => p.new.label === first);
  assert.equal(await supabase.removeChannel(removed), 'ok');
  const second = unique();
  await insertKind(second);
  // The control channel on the same socket got it, so the removed one would have by now.
  await control.next((p) => p.new.label === second);
  assert.deepEqual(gone.items.filter((p) => p.new.label === second), []);
});

test('a policy bound filter applies: a user sees only their rows', async (t) => {
  const alice = token({ role: 'authenticated', sub: 'alice' });
  const supabase = client(t, { key: alice });
  const got = inbox();
  await subscribed(
    supabase
      .channel(`mine-${unique()}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'kinds' }, got.handler),
  );
  await insertKind(unique(), 'bob');
  const label = unique();
  await insertKind(label, 'alice');
  const first = await got.next();
  assert.equal(first.new.label, label);
  assert.equal(first.new.owner, 'alice');
});

test('a table the policy does not grant is refused like an unknown one', async (t) => {
  const alice = token({ role: 'authenticated', sub: 'alice' });
  const supabase = client(t, { key: alice });
  const channel = supabase
    .channel(`nope-${unique()}`)
    .on('postgres_changes', { event: '*', schema: 'public', table: 'items' }, () => {});
  const err = await subscribed(channel).then(() => null, (e) => e);
  assert.ok(err, 'expected CHANNEL_ERROR');
  assert.equal(err.status, 'CHANNEL_ERROR');
  assert.match(err.err.message, /^RealtimeDisabledForConfiguration: unknown channel 'items'$/);
});

test('an expired token is refused with Supabase\'s message', async (t) => {
  const expired = token({ role: 'service' }, -60);
  const supabase = client(t, { accessToken: async () => expired });
  // supabase-js hands the token to realtime asynchronously: a join sent earlier carries the key.
  await supabase.realtime.setAuth();
  const channel = supabase
    .channel(`expired-${unique()}`)
    .on('postgres_changes', { event: '*', schema: 'public', table: 'kinds' }, () => {});
  const err = await subscribed(channel).then(() => null, (e) => e);
  assert.ok(err, 'expected CHANNEL_ERROR');
  assert.match(err.err.message, /^InvalidJWTToken: Token has expired \d+ seconds ago$/);
});

test('setAuth renews the token; without renewal the channel closes at expiry', async (t) => {
  let current = token({ role: 'service' }, 3);
  const supabase = client(t, { accessToken: async () => current });
  await supabase.realtime.setAuth();
  const renewed = inbox();
  const channel = supabase
    .channel(`renew-${unique()}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'kinds' }, renewed.handler);
  await subscribed(channel);
  current = token({ role: 'service' }, 3600);
  await supabase.realtime.setAuth(); // as supabase-js does on a session refresh

  const short = token({ role: 'service' }, 3);
  const other = client(t, { accessToken: async () => short });
  await other.realtime.setAuth();
  const system = inbox();
  const expiring = other
    .channel(`expire-${unique()}`)
    .on('system', {}, system.handler)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'kinds' }, () => {});
  await subscribed(expiring);
  const closed = new Promise((resolve) => {
    const timer = setInterval(() => {
      if (expiring.statuses.some((s) => s.status === 'CLOSED')) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
  });
  const error = await system.next((p) => p.status === 'error');
  assert.equal(error.extension, 'system');
  assert.match(error.message, /Token has expired/);
  await closed;

  // The renewed channel outlived its first token.
  const label = unique();
  await insertKind(label);
  assert.equal((await renewed.next((p) => p.new.label === label)).eventType, 'INSERT');
});

test('a binding on a whole schema covers its captured tables', async (t) => {
  const supabase = client(t);
  const got = inbox();
  await subscribed(
    supabase.channel(`schema-${unique()}`).on('postgres_changes', { event: 'INSERT', schema: 'public' }, got.handler),
  );
  const label = unique();
  await insertKind(label);
  const ins = await got.next((p) => p.table === 'kinds');
  assert.equal(ins.new.label, label);
});

test('a renewed token for another user re-binds the channel to that user', async (t) => {
  let current = token({ role: 'authenticated', sub: 'alice' });
  const supabase = client(t, { accessToken: async () => current });
  await supabase.realtime.setAuth();
  const got = inbox();
  await subscribed(
    supabase
      .channel(`switch-${unique()}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'kinds' }, got.handler),
  );
  const alices = unique();
  await insertKind(alices, 'alice');
  assert.equal((await got.next()).new.label, alices);

  current = token({ role: 'authenticated', sub: 'bob' });
  await supabase.realtime.setAuth(); // as after a sign-in
  // The access_token message has no reply: poll with bob's rows until the new binding shows.
  const deadline = Date.now() + WAIT;
  for (;;) {
    const probe = unique();
    await insertKind(probe, 'bob');
    const seen = await Promise.race([
      got.next((p) => p.new.label === probe).then(() => true, () => false),
      new Promise((r) => setTimeout(() => r(false), 300)),
    ]);
    if (seen) break;
    assert.ok(Date.now() < deadline, 'bob\'s rows never arrived after the renewal');
  }
  got.items.length = 0;
  await insertKind(unique(), 'alice');
  const marker = unique();
  await insertKind(marker, 'bob');
  // Changes arrive in commit order: alice's row would have come before the marker.
  const next = await got.next();
  assert.equal(next.new.label, marker);
});
