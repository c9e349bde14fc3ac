// `npm run dev` (bun, from node_modules): serves frontend/src as it is (the same native modules
// the jar serves), with hot reload, and proxies everything else (/api, /ws, /docs, /openapi.json,
// /metrics, …) to a Plank backend.
//
//   PLANK_BACKEND  the backend's base URL   (default http://127.0.0.1:8000)
//   PORT           where this server listens (default 5173)
//
// Hot reload: a saved stylesheet is swapped in place; any other saved file reloads the page.
import { watch } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dir, '..');
const src = path.join(root, 'src');
const clientDir = path.resolve(root, '../clients/js');
const backend = new URL(process.env.PLANK_BACKEND ?? 'http://127.0.0.1:8000');
const port = Number(process.env.PORT ?? 5173);

const RELOAD_PATH = '/__dev/reload';
const reloadClient = `<script type="module">
  const events = new EventSource('${RELOAD_PATH}');
  events.addEventListener('css', () => {
    for (const link of document.querySelectorAll('link[rel=stylesheet]')) {
      const url = new URL(link.href);
      url.searchParams.set('t', Date.now());
      link.href = url.href;
    }
  });
  events.addEventListener('reload', () => location.reload());
</script>`;

const HOP_BY_HOP = ['connection', 'keep-alive', 'upgrade', 'http2-settings', 'te', 'trailer', 'transfer-encoding'];

/** Open hot-reload streams. */
const listeners = new Set();

function notify(file) {
  const event = file.endsWith('.css') ? 'css' : 'reload';
  for (const send of listeners) send(event);
  console.log(`${event === 'css' ? 'css  ' : 'reload'} ${path.relative(path.dirname(root), file)}`);
}

let pending = null;
for (const dir of [src, clientDir]) {
  watch(dir, { recursive: dir === src }, (_, name) => {
    if (!name || name.startsWith('.') || name.includes('node_modules') || name.startsWith('test')) return;
    clearTimeout(pending); // editors write in bursts
    pending = setTimeout(() => notify(path.join(dir, name)), 50);
  });
}

/** The file under `dir` for a URL path, or null when it escapes `dir` or does not exist. */
async function fileIn(dir, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null; // a malformed %-escape names no file
  }
  const full = path.join(dir, decoded);
  if (full !== dir && !full.startsWith(dir + path.sep)) return null;
  const file = Bun.file(full);
  return (await file.exists()) ? file : null;
}

async function localFile(pathname) {
  if (pathname === '/') pathname = '/index.html';
  if (pathname === '/plank-client.js' || pathname === '/plank-client.d.ts') return fileIn(clientDir, pathname);
  return fileIn(src, pathname);
}

function hotReloadStream() {
  let send;
  const stream = new ReadableStream({
    start(controller) {
      send = (event) => controller.enqueue(`event: ${event}\ndata: {}\n\n`);
      listeners.add(send);
      controller.enqueue(': connected\n\n');
    },
    cancel() {
      listeners.delete(send);
    },
  });
  return new Response(stream, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' },
  });
}

async function proxy(request, url) {
  const target = new URL(url.pathname + url.search, backend);
  const headers = new Headers(request.headers);
  headers.delete('host');
  headers.delete('accept-encoding'); // fetch would decode it anyway
  // Hop-by-hop headers are for this connection, not the backend's (fetch refuses an h2c upgrade).
  for (const name of HOP_BY_HOP) headers.delete(name);
  try {
    const response = await fetch(target, {
      method: request.method,
      headers,
      body: request.body,
      redirect: 'manual',
    });
    const out = new Headers(response.headers);
    out.delete('content-encoding');
    out.delete('content-length');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers: out });
  } catch {
    return new Response(`The Plank backend at ${backend.origin} is not reachable. Start it, or set PLANK_BACKEND.\n`, {
      status: 502,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
}

/** A close code that may be sent on (1005 and 1006 only describe a close, they are never sent). */
function relayable(code, otherwise) {
  return code === 1000 || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : otherwise;
}

const server = Bun.serve({
  port,
  hostname: '127.0.0.1',
  idleTimeout: 0, // the hot-reload stream stays open
  async fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname === '/ws') {
      const upstreamUrl = new URL(`/ws${url.search}`, backend);
      upstreamUrl.protocol = backend.protocol === 'https:' ? 'wss:' : 'ws:';
      if (server.upgrade(request, { data: { upstreamUrl: upstreamUrl.href } })) return undefined;
      return new Response('/ws expects a WebSocket upgrade', { status: 400 });
    }
    if (url.pathname === RELOAD_PATH) return hotReloadStream();
    if (request.method === 'GET' || request.method === 'HEAD') {
      const file = await localFile(url.pathname);
      if (file) {
        const headers = { 'cache-control': 'no-store' };
        if (file.name.endsWith('.html')) {
          const html = (await file.text()).replace('</body>', `${reloadClient}\n</body>`);
          return new Response(html, { headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } });
        }
        return new Response(file, { headers });
      }
    }
    return proxy(request, url);
  },
  // /ws: one backend connection per browser connection; frames are relayed as they are.
  websocket: {
    open(ws) {
      const queue = [];
      const upstream = new WebSocket(ws.data.upstreamUrl);
      ws.data.upstream = upstream;
      ws.data.queue = queue;
      upstream.onopen = () => {
        for (const message of queue.splice(0)) upstream.send(message);
      };
      upstream.onmessage = (event) => ws.send(event.data);
      upstream.onclose = (event) => ws.close(relayable(event.code, 1011), event.reason);
      upstream.onerror = () => {};
    },
    message(ws, message) {
      const { upstream, queue } = ws.data;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(message);
      else queue.push(message);
    },
    close(ws, code, reason) {
      const { upstream } = ws.data;
      if (upstream.readyState <= WebSocket.OPEN) upstream.close(relayable(code, 1000), reason);
    },
  },
});

console.log(`Plank dashboard (dev): http://${server.hostname}:${server.port}/  →  backend ${backend.origin}`);
