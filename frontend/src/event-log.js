// The event log (the last changes with their seq) and the live counters: changes per second and
// latency from the change's `ts` (written in the database) to its arrival in this page.

const MAX_EVENTS = 50;
const RATE_WINDOW_MS = 3000;
const LATENCY_SAMPLES = 50;

/** Milliseconds since the epoch of an ISO timestamp with up to microsecond precision. */
export function parseTs(ts) {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(ts ?? '');
  if (!match) return Date.parse(ts);
  const fraction = (match[2] ?? '').padEnd(6, '0');
  return Date.parse(`${match[1]}.${fraction.slice(0, 3)}${match[3]}`) + Number(`0.${fraction.slice(3)}`);
}

export class EventLog {
  /** @param {HTMLOListElement} list @param {HTMLElement} empty */
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
  }

  add(change, latencyMs) {
    const item = document.createElement('li');
    item.dataset.type = change.type;
    item.dataset.seq = change.seq;

    const type = document.createElement('span');
    type.className = 'badge';
    type.textContent = change.type;

    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = describe(change);

    const meta = document.createElement('span');
    meta.className = 'meta';
    const seq = document.createElement('span');
    seq.className = 'seq';
    seq.textContent = `seq ${change.seq}`;
    meta.append(seq);
    if (Number.isFinite(latencyMs)) meta.append(` · ${formatMs(latencyMs)}`);

    item.append(type, what, meta);
    this.list.prepend(item);
    while (this.list.children.length > MAX_EVENTS) this.list.lastElementChild.remove();
    this.empty.hidden = true;
  }

  note(text) {
    const item = document.createElement('li');
    item.className = 'note';
    item.textContent = text;
    this.list.prepend(item);
    this.empty.hidden = true;
  }
}

function describe({ type, data = {}, old }) {
  const name = data.name === undefined ? '' : ` “${data.name}”`;
  if (type !== 'UPDATE' || !old) return `#${data.id}${name}${type === 'INSERT' && data.value != null ? ` = ${data.value}` : ''}`;
  const diffs = Object.keys(data)
    .filter((k) => k !== 'updated_at' && JSON.stringify(data[k]) !== JSON.stringify(old[k]))
    .map((k) => `${k}: ${show(old[k])} → ${show(data[k])}`);
  return `#${data.id}${name}${diffs.length ? ` · ${diffs.join(', ')}` : ''}`;
}

const show = (v) => (v === null || v === undefined ? '∅' : typeof v === 'string' ? `“${v}”` : String(v));

export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Changes per second over a sliding window, the median latency, and the total received. */
export class LiveStats {
  constructor() {
    this.arrivals = [];
    this.latencies = [];
    this.received = 0;
  }

  record(latencyMs, at = performance.now()) {
    this.received++;
    this.arrivals.push(at);
    if (Number.isFinite(latencyMs)) {
      this.latencies.push(latencyMs);
      if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
    }
  }

  rate(at = performance.now()) {
    while (this.arrivals.length && this.arrivals[0] < at - RATE_WINDOW_MS) this.arrivals.shift();
    return (this.arrivals.length * 1000) / RATE_WINDOW_MS;
  }

  medianLatency() {
    if (!this.latencies.length) return NaN;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
