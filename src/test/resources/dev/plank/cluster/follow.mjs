// Runs several plank-client.js clients against a cluster and prints what each sees, one line per
// event, for ClusterIT to read: `c<i> open <url>`, `c<i> ready`, `c<i> change <seq> <value>`,
// `c<i> closed <code>`, `c<i> resync <reason>`.
// Usage: node follow.mjs <path of plank-client.js> <clients> <url> [<url>…]
import { pathToFileURL } from 'node:url';

const [clientPath, count, ...urls] = process.argv.slice(2);
const { Plank } = await import(pathToFileURL(clientPath).href);
const say = (line) => process.stdout.write(`${line}\n`);

for (let i = 0; i < Number(count); i++) {
  const plank = new Plank(urls, { minDelay: 200, maxDelay: 1000, heartbeat: 1000, timeout: 2000 });
  plank.on('open', () => say(`c${i} open ${plank.url}`));
  plank.on('closed', ({ code }) => say(`c${i} closed ${code}`));
  plank.on('resync', ({ reason }) => say(`c${i} resync ${reason}`));
  const sub = plank.subscribe('items', (change) => say(`c${i} change ${change.seq} ${change.data.value}`));
  sub.ready.then(() => say(`c${i} ready`));
}
process.on('SIGTERM', () => process.exit(0));
