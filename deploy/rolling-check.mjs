// A client for deploy/test.sh's rolling restart: subscribes to `items` through a Plank URL with
// the project's JavaScript client and follows the rows a writer inserts during the restart, named
// <marker> with the values 1, 2, 3, …, until the row named <marker>-end, whose value is how many
// the writer wrote. Then checks that every one arrived exactly once, in order, that the client
// was told to move at least once (close 1012, a draining node) and never had to reload (resync).
// Prints "subscribed", "first row", each close and reconnect, and a summary; exit 0 when all of
// that holds, 1 otherwise or at the deadline.
//
//   node --experimental-websocket deploy/rolling-check.mjs http://127.0.0.1:8080 <marker> [seconds]
import { Plank } from '../clients/js/plank-client.js';

const [url, marker, seconds = '180'] = process.argv.slice(2);
if (!url || !marker) {
  console.error('usage: rolling-check.mjs <url> <marker> [seconds]');
  process.exit(2);
}
const started = Date.now();
const at = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const received = []; // each row's value, in the order delivered
const closes = []; // close codes
let resyncs = 0;
let opens = 0;
let done = false; // the client's own close at the end is not counted
const deadline = setTimeout(() => {
  console.error(`rolling-check: no row named ${marker}-end within ${seconds} s (${received.length} rows so far)`);
  process.exit(1);
}, Number(seconds) * 1000);

const plank = new Plank(url);
plank.on('open', () => {
  opens++;
  if (opens > 1) console.log(`${at()} reconnected (after ${received.length} rows)`);
});
plank.on('closed', ({ code, retryIn }) => {
  if (done) return;
  closes.push(code);
  console.log(`${at()} closed ${code} after ${received.length} rows, retry in ${retryIn} ms`);
});
plank.on('resync', ({ reason }) => {
  resyncs++;
  console.log(`${at()} resync (${reason}) after ${received.length} rows`);
});
const sub = plank.subscribe('items', { events: ['INSERT'] }, (change) => {
  const { name, value } = change.data;
  if (name === marker) {
    received.push(value);
    if (received.length === 1) console.log(`${at()} first row`);
  } else if (name === `${marker}-end`) {
    clearTimeout(deadline);
    const ok = verdict(value);
    done = true;
    plank.close();
    process.exit(ok ? 0 : 1);
  }
});
await sub.ready;
console.log('subscribed');

/** Prints what arrived against what was written (1..written); true when nothing is wrong. */
function verdict(written) {
  const problems = [];
  const seen = new Set();
  let expected = 1;
  for (const value of received) {
    if (seen.has(value)) problems.push(`row ${value} twice`);
    else if (value !== expected) problems.push(`row ${value} where ${expected} was due`);
    seen.add(value);
    expected = Math.max(expected, value + 1);
  }
  for (let v = 1; v <= written; v++) if (!seen.has(v)) problems.push(`row ${v} missing`);
  if (!closes.includes(1012)) problems.push('no close 1012 (the client was never on a draining node)');
  if (resyncs > 0) problems.push(`${resyncs} resync(s): the client could not resume from its cursor`);
  const codes = closes.length ? closes.join(', ') : 'none';
  if (problems.length === 0) {
    console.log(`received all ${written} rows once each, in order; closes: ${codes}; ${opens - 1} reconnects, no resync`);
    return true;
  }
  console.log(`FAIL: ${written} rows written, ${received.length} received; closes: ${codes}`);
  for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
  if (problems.length > 20) console.log(`  … and ${problems.length - 20} more`);
  return false;
}
