// Subscribes to `items` through a Plank URL with the project's JavaScript client, prints
// "subscribed" once the server acknowledged, then waits for an INSERT whose name is the given
// marker and prints it. Exit 0 when it came, 1 at the deadline. Used by deploy/test.sh.
//
//   node --experimental-websocket deploy/ws-check.mjs http://127.0.0.1:8080 <marker> [seconds]
import { Plank } from '../clients/js/plank-client.js';

const [url, marker, seconds = '60'] = process.argv.slice(2);
if (!url || !marker) {
  console.error('usage: ws-check.mjs <url> <marker> [seconds]');
  process.exit(2);
}
const deadline = setTimeout(() => {
  console.error(`ws-check: no change named ${marker} within ${seconds} s`);
  process.exit(1);
}, Number(seconds) * 1000);

const plank = new Plank(url);
plank.on('closed', ({ code, retryIn }) => console.error(`ws-check: closed ${code}, retry in ${retryIn} ms`));
const sub = plank.subscribe('items', { events: ['INSERT'] }, (change) => {
  if (change.data.name !== marker) return;
  console.log(`received ${change.type} ${JSON.stringify(change.data)} seq ${change.seq}`);
  clearTimeout(deadline);
  plank.close();
  process.exit(0);
});
await sub.ready;
console.log('subscribed');
