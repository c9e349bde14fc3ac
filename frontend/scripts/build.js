// Production bundle: `npm run build` (bun, from node_modules) writes frontend/dist (index.html
// plus hashed, minified JS and CSS). The jar serves dist when it was built before `mvn package`,
// the sources otherwise.
//
// The sources import the client as './plank-client.js', the URL where Plank serves it; here that
// import resolves to clients/js/plank-client.js, so the bundle is self-contained.
import { rm } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dir, '..');
const client = path.resolve(root, '../clients/js/plank-client.js');
const outdir = path.join(root, 'dist');

/** Resolves the page's './plank-client.js' to the client library in clients/js. */
export const plankClient = {
  name: 'plank-client',
  setup(build) {
    build.onResolve({ filter: /(^|\/)plank-client\.js$/ }, () => ({ path: client }));
  },
};

if (import.meta.main) {
  await rm(outdir, { recursive: true, force: true });
  const result = await Bun.build({
    entrypoints: [path.join(root, 'src/index.html')],
    outdir,
    minify: true,
    sourcemap: 'linked',
    target: 'browser',
    plugins: [plankClient],
  });
  if (!result.success) {
    for (const message of result.logs) console.error(message);
    process.exit(1);
  }
  for (const output of result.outputs) {
    const kb = (output.size / 1024).toFixed(1).padStart(7);
    console.log(`${kb} kB  ${path.relative(root, output.path)}`);
  }
}
