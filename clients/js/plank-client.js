/**
 * plank-client.js: the JavaScript client for Plank's WebSocket protocol (v1).
 *
 * One ES module, no dependencies. Runs in browsers and in Node 22+ (Node 20 with
 * `--experimental-websocket`, or pass any WHATWG-style WebSocket class as `options.WebSocket`).
 *
 *   import { Plank } from './plank-client.js';
 *   const plank = new Plank('ws://127.0.0.1:8000/ws');
 *   const sub = plank.subscribe('items', { filter: 'value=gt.10' }, (change) => {
 *     console.log(change.type, change.data, change.seq);
 *   });
 *   await sub.ready;           // acknowledged: every later commit is delivered
 *   plank.on('resync', ({ channel }) => reloadFromRest(channel));
 *
 * What it does for the application:
 * - reconnects with exponential back-off and jitter, and resubscribes every channel, whatever
 *   ended the connection (a network failure, a server restart, a 1008 "slow consumer" close);
 *   a draining node's 1012 "service restart" is followed at once (within a short random spread);
 * - given several URLs (the nodes of a cluster), starts at a random one and moves to another,
 *   picked at random, on each reconnect, so a dead node's clients spread over the others;
 * - resumes from each channel's last cursor when the server supports it, and otherwise emits
 *   `resync` once the channel is live again, so the app reloads its state over REST (a
 *   subscription made with `snapshot: true` gets a fresh snapshot instead);
 * - passes on the server's own `resync` (a cursor too old to resume from) once the channel is
 *   live, and carries on with the live stream;
 * - hands `snapshot: true` pages to `onSnapshot(rows, {first, last})`, before the changes;
 * - drops repeated changes by `seq`, so a change is handed to the app once, across reconnects;
 * - pings the server, and replaces a connection that stopped answering;
 * - never retries a refused subscribe, and spaces an app's later subscribes to that channel with
 *   an exponential back-off, so an app that subscribes again on every refusal cannot flood the
 *   server;
 * - correlates replies with requests: promises resolve on acknowledgement and reject with a
 *   {@link PlankError} carrying the server's error `code`.
 *
 * @module plank-client
 */

export const PROTOCOL_VERSION = 1;

const CHANGE_TYPES = new Set(['INSERT', 'UPDATE', 'DELETE']);
/** The close code of a node that drains (shutdown, rolling restart): reconnect now, elsewhere. */
const SERVICE_RESTART = 1012;
const OPEN = 1; // WebSocket.OPEN, the same in every implementation

const DEFAULTS = Object.freeze({
  resume: true,
  minDelay: 500,
  maxDelay: 30_000,
  heartbeat: 25_000,
  timeout: 10_000,
  dedupeWindow: 10_000,
});

/**
 * An error reply from the server (`code` is the protocol's error code, such as `bad_filter`),
 * or a client-side failure: `timeout` (no reply in time), `disconnected` (the connection went
 * away before the reply), `closed` (the client was closed).
 */
export class PlankError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{channel?: string, reply?: object}} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'PlankError';
    this.code = code;
    this.channel = details.channel;
    this.reply = details.reply;
  }
}

/**
 * The WebSocket URL for a Plank server given as `ws(s)://…` or as an `http(s)://…` base URL.
 * A URL with no path gets `/ws`; an http(s) base URL gets `ws` appended to its path.
 * In a browser, a relative URL (or none) is taken against the page's location.
 *
 * @param {string|URL} [url]
 * @returns {string}
 */
export function websocketUrl(url) {
  const base = globalThis.location?.href;
  if (url === undefined || url === null || url === '') {
    if (!base) throw new TypeError('Plank needs a server URL, such as ws://127.0.0.1:8000/ws');
    url = '/';
  }
  const u = new URL(String(url), base);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (!u.pathname.endsWith('/ws')) u.pathname = u.pathname.replace(/\/?$/, '/ws');
  } else if (u.protocol === 'ws:' || u.protocol === 'wss:') {
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  } else {
    throw new TypeError(`Plank URL must be ws(s):// or http(s)://, got ${u.protocol}`);
  }
  u.hash = '';
  return u.href;
}

/**
 * Tells whether a row matches a filter in the protocol's syntax (`value=gt.10&name=eq.a`),
 * the way the server evaluates it. The server sends an UPDATE when the new row *or* the old one
 * matches, so an app keeping a filtered view uses this on `change.data` to see a row leave it.
 *
 * The rules are PostgreSQL's (the cases in the server's `filter-conformance.json` pin them):
 * numbers compare exactly as decimals (never as doubles), NaN and Infinity above every number;
 * text compares by code point; a null or missing value matches only `is.null`.
 *
 * Pass `columns` (each filtered column's kind: `'number'`, `'boolean'` or `'text'`, from the
 * table's types) to get the server's answer on every row and its refusals (an unknown column,
 * a value that is not a number). Without it the kind is taken from each value's JSON type, which
 * is the column's kind except for a json/jsonb column holding numbers or booleans, and for the
 * strings `"NaN"`, `"Infinity"`, `"-Infinity"` that a numeric column holds. A JavaScript number
 * carries about 17 digits: for exact answers on longer numbers, pass them as `bigint`.
 *
 * @param {string|undefined|null} filter
 * @param {Record<string, unknown>|null|undefined} row
 * @param {Record<string, 'number'|'boolean'|'text'>} [columns]
 * @returns {boolean}
 * @throws {PlankError} `bad_filter` for a filter the server refuses
 */
export function matchesFilter(filter, row, columns) {
  const conditions = parseFilter(filter, columns);
  if (conditions.length === 0) return true;
  if (!row) return false;
  return conditions.every(({ column, test }) => test(Object.hasOwn(row, column) ? row[column] : undefined));
}

const FILTER_MAX_LENGTH = 2000;
const FILTER_MAX_CONDITIONS = 20;
const FILTER_MAX_IN_VALUES = 100;
/** What PostgreSQL's numeric reads, less its spaces, NaN, Infinity and non-ASCII digits. */
const NUMBER_SYNTAX = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
const NUMBER_STRICT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
/** Blank as Java's String.isBlank has it (a no-break space is not blank). */
const JAVA_BLANK = /^[\t\n\u000B\f\r\u001C-\u001F \u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]*$/;
/** A numeric that is not a number: NaN and Infinity sort above every number, -Infinity below. */
const ABOVE = Symbol('above every number');
const BELOW = Symbol('below every number');
const OUTCOMES = {
  eq: (c) => c === 0, neq: (c) => c !== 0, lt: (c) => c < 0,
  lte: (c) => c <= 0, gt: (c) => c > 0, gte: (c) => c >= 0,
};

const badFilter = (message) => new PlankError('bad_filter', message);

function parseFilter(text, columns) {
  if (text === undefined || text === null || JAVA_BLANK.test(text)) return [];
  if (text.length > FILTER_MAX_LENGTH) throw badFilter(`filter is longer than ${FILTER_MAX_LENGTH} characters`);
  if (text.includes('\u0000')) throw badFilter('filter contains U+0000, which text cannot hold');
  if (hasUnpairedSurrogate(text)) throw badFilter('filter contains an unpaired surrogate, which is not text');
  const terms = text.split('&');
  while (terms.length > 0 && terms.at(-1) === '') terms.pop(); // as Java's String.split
  if (terms.length > FILTER_MAX_CONDITIONS) throw badFilter(`filter has more than ${FILTER_MAX_CONDITIONS} conditions`);
  return terms.map((term) => parseCondition(term, columns));
}

function hasUnpairedSurrogate(text) {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}

function parseCondition(term, columns) {
  const eq = term.indexOf('=');
  const dot = term.indexOf('.', eq + 1);
  if (eq <= 0 || dot < 0) throw badFilter(`expected column=operator.value in '${term}'`);
  const column = term.slice(0, eq);
  const op = term.slice(eq + 1, dot);
  const value = term.slice(dot + 1);
  const kind = columns ? columnKind(columns, column, term) : undefined;
  const values = op === 'in' ? parseList(value, term) : [value];
  if (op === 'is') return { column, test: isTest(value, term) };
  if (op === 'in') {
    const operands = values.map((v) => operand(v, kind, term));
    if (operands.length > FILTER_MAX_IN_VALUES) throw badFilter(`in has more than ${FILTER_MAX_IN_VALUES} values in '${term}'`);
    return { column, test: (actual) => operands.some((o) => compareWith(actual, o, kind) === 0) };
  }
  const outcome = Object.hasOwn(OUTCOMES, op) ? OUTCOMES[op] : null;
  if (!outcome) throw badFilter(`unknown operator '${op}' in '${term}'`);
  const o = operand(value, kind, term);
  return { column, test: (actual) => { const c = compareWith(actual, o, kind); return c !== null && outcome(c); } };
}

function columnKind(columns, column, term) {
  if (!Object.hasOwn(columns, column)) {
    throw badFilter(`unknown column '${column}' in '${term}' (columns: ${Object.keys(columns).sort().join(', ')})`);
  }
  const kind = columns[column];
  if (kind !== 'number' && kind !== 'boolean' && kind !== 'text') {
    throw new TypeError(`column kind must be 'number', 'boolean' or 'text', got ${String(kind)}`);
  }
  return kind;
}

function isTest(value, term) {
  switch (value) {
    case 'null': return (actual) => actual === null || actual === undefined;
    case 'true': return (actual) => actual === true;
    case 'false': return (actual) => actual === false;
    default: throw badFilter(`is takes null, true or false (got '${value}') in '${term}'`);
  }
}

/**
 * An operand in every reading its column might need: for a known kind, only that one (and
 * refused like the server refuses it); without one, the number or boolean it may stand for.
 */
function operand(text, kind, term) {
  if (kind === 'number') {
    const number = decimalOperand(text, term, true);
    if (!number) throw badFilter(`'${text}' is not a number in '${term}'`);
    return { number };
  }
  if (kind === 'boolean') {
    if (text !== 'true' && text !== 'false') throw badFilter(`'${text}' is not true or false in '${term}'`);
    return { bool: text === 'true' };
  }
  if (kind === 'text') return { text };
  const bool = text === 'true' ? true : text === 'false' ? false : null;
  return { text, number: decimalOperand(text, term, false), bool };
}

/** The operand's decimal; null when not a number; out of numeric's range, refused or null. */
function decimalOperand(text, term, refuse) {
  if (!NUMBER_STRICT.test(text)) return null;
  const [, , whole, fraction = '', exponent = '0'] = NUMBER_SYNTAX.exec(text);
  const unscaled = (whole + fraction).replace(/^0+/, '') || '0';
  const scale = fraction.length - Number(exponent);
  if (scale > 16383 || unscaled.length - scale > 131072) {
    if (refuse) throw badFilter(`'${text}' is out of range for PostgreSQL's numeric in '${term}'`);
    return null;
  }
  return decimal(text);
}

/** Compares a row's value with an operand: a number, or null when no comparison holds. */
function compareWith(actual, o, kind) {
  if (actual === null || actual === undefined) return null;
  const as = kind ?? (typeof actual === 'number' || typeof actual === 'bigint' ? (o.number ? 'number' : 'text')
    : typeof actual === 'boolean' ? (o.bool !== null ? 'boolean' : 'text') : 'text');
  if (as === 'number') {
    const number = numberValue(actual);
    if (number === null) return null;
    if (number === ABOVE) return 1;
    if (number === BELOW) return -1;
    return compareDecimals(number, o.number);
  }
  if (as === 'boolean') return typeof actual === 'boolean' ? Number(actual) - Number(o.bool) : null;
  return compareCodePoints(typeof actual === 'string' ? actual : jsonbText(actual), o.text);
}

/** A number column's value: to_jsonb writes NaN and ±Infinity as strings, any other as a number. */
function numberValue(actual) {
  if (typeof actual === 'bigint') return decimal(String(actual));
  if (typeof actual === 'number') {
    if (Number.isNaN(actual) || actual === Infinity) return ABOVE;
    return actual === -Infinity ? BELOW : decimal(String(actual));
  }
  if (actual === 'NaN' || actual === 'Infinity') return ABOVE;
  return actual === '-Infinity' ? BELOW : null;
}

/** `{sign, digits, exp}`: the value is sign × 0.digits × 10^exp, digits without outer zeros. */
function decimal(text) {
  const [, sign, whole, fraction = '', exponent = '0'] = NUMBER_SYNTAX.exec(text);
  const all = whole + fraction;
  const lead = all.search(/[^0]/);
  if (lead < 0) return { sign: 0, digits: '', exp: 0 };
  return { sign: sign === '-' ? -1 : 1, digits: all.slice(lead).replace(/0+$/, ''), exp: whole.length + Number(exponent) - lead };
}

function compareDecimals(a, b) {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  let magnitude = a.exp === b.exp ? 0 : a.exp < b.exp ? -1 : 1;
  if (magnitude === 0) magnitude = a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1; // same-length prefix order is numeric order
  return magnitude * a.sign;
}

/** Code-point order, as PostgreSQL orders UTF-8 text under COLLATE "C" (not UTF-16 order). */
function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return Math.sign(codePointRank(x) - codePointRank(y));
  }
  return Math.sign(a.length - b.length);
}

const codePointRank = (unit) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);

/** What PostgreSQL's `to_jsonb(value) #>> '{}'` answers: jsonb's text, a string unquoted. */
function jsonbText(value) {
  return typeof value === 'string' ? value : jsonbNested(value);
}

function jsonbNested(value) {
  if (typeof value === 'string') return jsonbQuoted(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? plainNumber(decimal(String(value))) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(jsonbNested).join(', ')}]`;
  const keys = Object.keys(value).sort((x, y) => utf8Length(x) - utf8Length(y) || compareCodePoints(x, y));
  return `{${keys.map((k) => `${jsonbQuoted(k)}: ${jsonbNested(value[k])}`).join(', ')}}`;
}

/** A number as PostgreSQL's numeric writes it: no exponent. */
function plainNumber({ sign, digits, exp }) {
  if (sign === 0) return '0';
  const text = exp >= digits.length ? digits + '0'.repeat(exp - digits.length)
    : exp > 0 ? `${digits.slice(0, exp)}.${digits.slice(exp)}` : `0.${'0'.repeat(-exp)}${digits}`;
  return sign < 0 ? `-${text}` : text;
}

const JSONB_ESCAPES = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string as jsonb writes it: only quote, backslash and control characters escaped. */
function jsonbQuoted(text) {
  return `"${text.replace(/["\\\u0000-\u001f]/g, (ch) => JSONB_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function utf8Length(text) {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Items of `(a,"b,c","say \"hi\"")`, as PostgREST reads them: in quotes a backslash escapes. */
function parseList(value, term) {
  if (value.length < 2 || !value.startsWith('(') || !value.endsWith(')')) {
    throw badFilter(`in needs a list like in.(a,b,c) in '${term}'`);
  }
  const inner = value.slice(1, -1);
  const items = [];
  if (inner === '') return items;
  let at = 0;
  for (;;) {
    let item = '';
    if (inner[at] === '"') {
      at++;
      for (;;) {
        if (at >= inner.length) throw badFilter(`in list has an unterminated quote in '${term}'`);
        let ch = inner[at++];
        if (ch === '"') break;
        if (ch === '\\' && at < inner.length) ch = inner[at++];
        item += ch;
      }
      if (at < inner.length && inner[at] !== ',') throw badFilter(`in list has text after a closing quote in '${term}'`);
    } else {
      while (at < inner.length && inner[at] !== ',') {
        const ch = inner[at++];
        if (ch === '"') throw badFilter(`in list has a quote inside an unquoted value (quote the whole value) in '${term}'`);
        item += ch;
      }
    }
    items.push(item);
    if (at === inner.length) return items;
    at++; // the comma
  }
}

/**
 * A subscription to one channel, returned by {@link Plank#subscribe}. It receives the changes
 * the server sends for it from its acknowledgement until it is unsubscribed or replaced by a
 * later `subscribe` to the same channel.
 */
export class Subscription {
  /** @internal */
  constructor(plank, channel, options, onChange) {
    /** The channel, as given (`items` or `schema.table`). */
    this.channel = channel;
    /** The options it was made with: `events`, `filter`, `snapshot`, `onSnapshot`. */
    this.options = Object.freeze({ ...options });
    /** Whether the server has acknowledged it at least once. */
    this.acknowledged = false;
    /** Whether it was unsubscribed, replaced, or rejected by the server. */
    this.closed = false;
    /** @internal */ this._plank = plank;
    /** @internal */ this._onChange = onChange;
    /** @internal Whether a snapshot it asked for was received to its last page. */
    this._snapshotDone = false;
    /** @internal */ this._settle = null;
    /**
     * Resolves with this subscription once the server acknowledged it; rejects with a
     * {@link PlankError} when the server refused it (`bad_filter`, `unknown_channel`, …) or the
     * client was closed first. It waits across reconnects.
     * @type {Promise<Subscription>}
     */
    this.ready = new Promise((resolve, reject) => {
      this._settle = { resolve, reject };
    });
    this.ready.catch(() => {}); // an unobserved refusal is not an unhandled rejection
  }

  /** The cursor of the last change handed to the app on this channel, or `null`. */
  get cursor() {
    return this._plank._channels.get(this.channel)?.cursor ?? null;
  }

  /**
   * Stops the subscription: its handler is not called again. Resolves when the server
   * acknowledged, or at once when there is nothing to tell it (disconnected, or replaced).
   * @returns {Promise<void>}
   */
  unsubscribe() {
    return this._plank._unsubscribe(this);
  }

  /** @internal */
  _ack() {
    this.acknowledged = true;
    this._settle?.resolve(this);
    this._settle = null;
  }

  /** @internal */
  _fail(error) {
    this.closed = true;
    this._settle?.reject(error);
    this._settle = null;
  }
}

/**
 * A topic of broadcasts and presence, from {@link Plank#topic}. It is joined as soon as the
 * client is connected and again after every reconnect (with the presence it tracked).
 */
export class Topic {
  /** @internal */
  constructor(plank, name) {
    /** The topic's name. */
    this.name = name;
    /**
     * Who is present, by key: `{key: [{...state, presence_ref}]}`; replaced on every (re)join,
     * updated by every diff.
     */
    this.presence = {};
    /** Whether it was left, or refused by the server. */
    this.closed = false;
    /** @internal */ this._plank = plank;
    /** @internal */ this._handlers = new Map(); // event ('*' for all) -> Set of handlers
    /** @internal */ this._presenceHandlers = new Set();
    /** @internal What this client tracks here, sent again after a reconnect: `{state, key}`. */
    this._tracked = null;
    /** @internal */ this._settle = null;
    /**
     * Resolves with this topic once the server accepted the join; rejects with a
     * {@link PlankError} (`forbidden`, `too_many_topics`, …) or when the client was closed first.
     * @type {Promise<Topic>}
     */
    this.ready = new Promise((resolve, reject) => {
      this._settle = { resolve, reject };
    });
    this.ready.catch(() => {});
  }

  /**
   * Calls `handler(payload, {event, topic})` for each broadcast of `event` (`'*'`: every event).
   * Returns a function that removes it.
   * @returns {() => void}
   */
  on(event, handler) {
    if (typeof handler !== 'function') throw new TypeError('on needs a handler');
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(handler);
    return () => this._handlers.get(event)?.delete(handler);
  }

  /**
   * Calls `handler(presence, change)` whenever {@link Topic#presence} changes: `change` is
   * `{type: 'state'}` after a (re)join, `{type: 'diff', joins, leaves}` after a diff.
   * Returns a function that removes it.
   * @returns {() => void}
   */
  onPresence(handler) {
    if (typeof handler !== 'function') throw new TypeError('onPresence needs a handler');
    this._presenceHandlers.add(handler);
    return () => this._presenceHandlers.delete(handler);
  }

  /**
   * Sends a broadcast to every member of the topic on every node. With `self`, this client gets
   * it too; with `ack`, the promise resolves once the server accepted and sent it (else once it
   * was written to the socket). Rejects with a PlankError (`forbidden`, `rate_limited`,
   * `too_large`, …) when refused.
   * @returns {Promise<void>}
   */
  send(event, payload = null, { self = false, ack = false } = {}) {
    return new Promise((resolve, reject) => {
      const message = { action: 'broadcast', topic: this.name, event, payload, self, ack };
      if (ack) {
        this._plank._request(message, { ok: () => resolve(), fail: reject, timeout: this._plank.options.timeout });
        return;
      }
      if (this._plank.state !== 'open') {
        reject(new PlankError(this._plank._closedByUser ? 'closed' : 'disconnected', 'not connected'));
        return;
      }
      // Without ack the server answers only a refusal, which then reaches the 'error' event.
      this._plank._send(message);
      resolve();
    });
  }

  /**
   * Tracks this client's presence in the topic: `state` (an object) under `key` (by default one
   * the server makes up for the connection). Tracking again replaces the state. It is tracked
   * again after a reconnect. Resolves with the key.
   * @returns {Promise<string>}
   */
  track(state = {}, { key } = {}) {
    this._tracked = { state, key };
    return new Promise((resolve, reject) => {
      this.ready.then(
        () => this._plank._sendTrack(this, (reply) => resolve(reply.key), reject),
        reject,
      );
    });
  }

  /** Stops tracking this client's presence. @returns {Promise<void>} */
  untrack() {
    this._tracked = null;
    return this._plank._topicRequest({ action: 'untrack', topic: this.name });
  }

  /** Leaves the topic: no handler is called again. @returns {Promise<void>} */
  leave() {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this._plank._topics.delete(this.name);
    this._settle?.reject(new PlankError('closed', 'left', { topic: this.name }));
    return this._plank._topicRequest({ action: 'leave', topic: this.name }).catch((error) => {
      if (error.code !== 'disconnected' && error.code !== 'closed') throw error;
    });
  }

  /** @internal */
  _broadcast(message) {
    const detail = { event: message.event, topic: this.name };
    for (const key of [message.event, '*']) {
      for (const handler of [...(this._handlers.get(key) ?? [])]) callApp(handler, message.payload, detail);
    }
  }

  /** @internal */
  _state(state) {
    this.presence = state && typeof state === 'object' ? state : {};
    this._presenceChanged({ type: 'state' });
  }

  /** @internal */
  _diff(joins = {}, leaves = {}) {
    const presence = { ...this.presence };
    for (const [key, metas] of Object.entries(leaves)) {
      const gone = new Set(metas.map((m) => m.presence_ref));
      const left = (presence[key] ?? []).filter((m) => !gone.has(m.presence_ref));
      if (left.length) presence[key] = left;
      else delete presence[key];
    }
    for (const [key, metas] of Object.entries(joins)) presence[key] = [...(presence[key] ?? []), ...metas];
    this.presence = presence;
    this._presenceChanged({ type: 'diff', joins, leaves });
  }

  /** @internal */
  _presenceChanged(change) {
    for (const handler of [...this._presenceHandlers]) callApp(handler, this.presence, change);
  }

  /** @internal */
  _fail(error) {
    this.closed = true;
    this._plank._topics.delete(this.name);
    this._settle?.reject(error);
    this._settle = null;
  }
}

/**
 * A connection to a Plank server that stays up: it reconnects, resubscribes and resumes on its
 * own until {@link Plank#close}.
 *
 * Events (listen with {@link Plank#on}):
 * - `connecting` `{attempt}`: a socket is being opened (1 for the first attempt after
 *   the server last answered, counting up while it does not);
 * - `open` `{}`: the socket is open and the subscriptions' requests are sent;
 * - `closed` `{code, reason, retryIn}`: the socket closed; `retryIn` is the delay before the
 *   next attempt in ms, or `null` after {@link Plank#close};
 * - `resync` `{channel, reason}`: changes may have been missed on `channel`, which is live
 *   again: reload its state. `reason`: `reconnected` (a reconnect the server could not resume),
 *   `restored` (a refused or withdrawn replacement, after which the earlier subscription was
 *   applied again without a cursor), or the server's (`cursor_expired`).
 * - `error` `PlankError`: an error reply no request is waiting for, or a live subscription
 *   refused when it was restored (its `channel` says which; it is not retried), or a token that
 *   could not be had or was refused (code `token` or `unauthorized`).
 */
export class Plank {
  /**
   * @param {string|URL|Array<string|URL>} [url] `ws(s)://host:port/ws` or the server's
   *   `http(s)://` base URL; in a browser, defaults to the page's own server. Several URLs (the
   *   nodes of a cluster) may be given as an array, or as `options.urls`.
   * @param {object} [options]
   * @param {Array<string|URL>} [options.urls] Several server URLs: the client starts at a random
   *   one and, on each reconnect, moves to another one picked at random.
   * @param {boolean} [options.resume=true] On reconnect, ask the server to replay what was
   *   missed (`since`: the channel's last cursor). A server without resume support refuses it;
   *   the client then resubscribes without it and emits `resync` instead.
   * @param {number} [options.minDelay=500] First reconnect delay, ms (doubles on each failure);
   *   also the first wait before a channel's subscribe after the server refused one.
   * @param {number} [options.maxDelay=30000] Longest reconnect delay, ms.
   * @param {number} [options.heartbeat=25000] Ping the server this often, ms; 0 disables.
   * @param {number} [options.timeout=10000] How long a ping waits for its pong, and a
   *   connection attempt for its handshake, ms; a missed heartbeat pong replaces the connection,
   *   a handshake that does not complete is given up and retried.
   * @param {number} [options.dedupeWindow=10000] How many recent `seq` per channel are
   *   remembered to drop repeats.
   * @param {typeof WebSocket} [options.WebSocket] The WebSocket class (default: the global one).
   * @param {string|(() => string|Promise<string>)} [options.token] A JWT, or a function that
   *   answers a fresh one (called on every connect and before the token expires). Sent as the
   *   first message (`auth`), never in the URL, so that proxies do not log it; subscriptions go
   *   out once the server accepted it. Renewed before its `exp` (read from the token, without
   *   verifying it: 30 s or a tenth of its lifetime before, whichever is sooner).
   */
  constructor(url, options = {}) {
    const given = Array.isArray(url) ? url : url == null && options.urls ? options.urls : [url];
    if (!Array.isArray(given) || given.length === 0) throw new TypeError('Plank needs at least one server URL');
    /** Every server URL, as WebSocket URLs. */
    this.urls = Object.freeze(given.map(websocketUrl));
    /** The URL of the current (or next) connection. */
    this.url = this.urls[Math.floor(Math.random() * this.urls.length)];
    this.options = { ...DEFAULTS, ...options };
    delete this.options.urls;
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError(
        'No WebSocket class: use Node 22+ (or Node 20 with --experimental-websocket), ' +
          "or pass one, e.g. new Plank(url, { WebSocket }) with WebSocket from the 'ws' package",
      );
    }
    const { token } = this.options;
    if (token !== undefined && token !== null && typeof token !== 'string' && typeof token !== 'function') {
      throw new TypeError('token must be a string or a function returning one (or a Promise of one)');
    }
    /** `connecting`, `authenticating` (a token is being sent), `open` or `closed`. */
    this.state = 'connecting';
    /** @internal The timer that renews the token before it expires. */
    this._renewTimer = null;
    /** @internal */ this._socket = null;
    /** @internal */ this._listeners = new Map();
    /**
     * @internal Per channel: `latest` the subscription the app asked for last; `active` the one
     * whose handler gets changes (the last acknowledged); `current` the one the server applies
     * now (by reply order); `inflight` subscribe requests awaiting a reply; `seen` the recent
     * seqs delivered; `cursor` that of the last change delivered; `snapshots` the snapshots
     * asked for and not received to their last page, oldest first; `requests` counts subscribe
     * requests, to order them; `resync` a server `resync` held back until the subscription in
     * flight is live; `reconnected` whether the next restore follows a reconnect.
     */
    this._channels = new Map();
    /** @internal id → {ok, fail, timer} */
    this._pending = new Map();
    /** @internal */ this._nextId = 1;
    /** @internal */ this._attempt = 0;
    /** @internal */ this._retryTimer = null;
    /** @internal */ this._heartbeatTimer = null;
    /** @internal */ this._handshakeTimer = null;
    /** @internal */ this._closedByUser = false;
    /** @internal */ this._resumeSupported = true;
    /** @internal Whether a socket opened before: only then is an open a reconnect. */
    this._openedBefore = false;
    /**
     * @internal Per channel, the server's refusals of subscribe requests since its last
     * acknowledgement: `{count, until}`. A later subscribe to the channel waits until `until`, so
     * that an app that subscribes again on every refusal cannot flood the server.
     */
    this._refusals = new Map();
    /** @internal Broadcast and presence topics, by name. */
    this._topics = new Map();
    /** @internal The network is back: retry now rather than at the end of the back-off. */
    this._onOnline = () => {
      if (!this._retryTimer) return;
      clearTimeout(this._retryTimer);
      this._connect();
    };
    globalThis.addEventListener?.('online', this._onOnline);
    // Connect after the current task, so listeners added right after `new` see every event.
    queueMicrotask(() => this._connect());
  }

  /**
   * Adds an event listener; returns a function that removes it.
   * @param {'connecting'|'open'|'closed'|'resync'|'error'} event
   * @param {(detail: any) => void} listener
   * @returns {() => void}
   */
  on(event, listener) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link Plank#on}. */
  off(event, listener) {
    this._listeners.get(event)?.delete(listener);
  }

  /**
   * Subscribes to a channel. The handler gets each change (`INSERT`, `UPDATE`, `DELETE`) once.
   * With `snapshot: true`, `onSnapshot(rows, {channel, first, last})` first gets the rows that
   * match now, a page at a time, and the changes after that snapshot follow. A page with
   * `first: true` starts a snapshot: replace what you hold (it comes again after a reconnect
   * that could not resume).
   *
   * Subscribing again to the same channel replaces the earlier subscription when the server
   * acknowledges the new one; until then the earlier one goes on, and it also goes on when the
   * server refuses the new one (a bad filter, say).
   *
   * A refusal rejects `ready` and is not retried. After one, the channel's next subscribe is sent
   * once a back-off has passed (doubling with each refusal in a row, reset by an acknowledgement).
   *
   * @param {string} channel `items` or `schema.table`
   * @param {{events?: string[], filter?: string, snapshot?: boolean,
   *   onSnapshot?: (rows: object[], page: {channel: string, first: boolean, last: boolean}) => void}|function} [options]
   * @param {(change: object) => void} [onChange]
   * @returns {Subscription}
   */
  subscribe(channel, options = {}, onChange = undefined) {
    if (typeof options === 'function') [options, onChange] = [{}, options];
    if (typeof channel !== 'string' || !channel) throw new TypeError('channel must be a non-empty string');
    if (typeof onChange !== 'function') throw new TypeError('subscribe needs a change handler');
    if (options.snapshot && typeof options.onSnapshot !== 'function') {
      throw new TypeError('snapshot: true needs an onSnapshot(rows, page) handler');
    }
    const sub = new Subscription(this, channel, options, onChange);
    if (this._closedByUser) {
      sub._fail(new PlankError('closed', 'this Plank client was closed', { channel }));
      return sub;
    }
    let state = this._channels.get(channel);
    if (!state) {
      state = {
        latest: null, active: null, current: null, inflight: 0, requests: 0, seen: new Set(), cursor: null,
        snapshots: [], resync: null, reconnected: false, hold: null,
      };
      this._channels.set(channel, state);
    }
    if (state.latest && state.latest !== state.active) {
      state.latest._fail(new PlankError('closed', 'replaced by a later subscribe', { channel }));
    }
    state.latest = sub;
    if (this.state === 'open' && !state.hold) this._sendOrHold(state, sub);
    return sub;
  }

  /**
   * The topic `name` for broadcasts and presence: joined now (when connected) and after every
   * reconnect. Asking again for a topic not left returns the same {@link Topic}.
   * @param {string} name
   * @returns {Topic}
   */
  topic(name) {
    if (typeof name !== 'string' || !name) throw new TypeError('topic must be a non-empty string');
    const known = this._topics.get(name);
    if (known) return known;
    const topic = new Topic(this, name);
    if (this._closedByUser) {
      topic._fail(new PlankError('closed', 'this Plank client was closed', { topic: name }));
      return topic;
    }
    this._topics.set(name, topic);
    if (this.state === 'open') this._join(topic);
    return topic;
  }

  /** @internal Joins, then tracks again what the app tracked there. */
  _join(topic) {
    this._request({ action: 'join', topic: topic.name }, {
      timeout: this.options.timeout,
      ok: () => {
        topic._settle?.resolve(topic);
        topic._settle = null;
        if (topic._tracked && !topic.closed) this._sendTrack(topic, () => {}, (error) => this._emit('error', error));
      },
      fail: (error) => {
        if (error.code === 'disconnected' || error.code === 'timeout') return; // the reconnect joins again
        topic._fail(error);
        if (error.code !== 'closed') this._emit('error', error);
      },
    });
  }

  /** @internal */
  _sendTrack(topic, ok, fail) {
    const { state, key } = topic._tracked ?? { state: {} };
    const message = { action: 'track', topic: topic.name, state };
    if (key !== undefined) message.key = key;
    this._request(message, { ok, fail, timeout: this.options.timeout });
  }

  /** @internal */
  _topicRequest(message) {
    return new Promise((resolve, reject) => {
      this._request(message, { ok: () => resolve(), fail: reject, timeout: this.options.timeout });
    });
  }

  /**
   * Sends a ping and resolves with the round-trip time in ms.
   * @returns {Promise<number>}
   */
  ping() {
    const started = now();
    return new Promise((resolve, reject) => {
      this._request({ action: 'ping' }, {
        timeout: this.options.timeout,
        ok: () => resolve(now() - started),
        fail: reject,
      });
    });
  }

  /**
   * Closes the connection for good: no reconnect, every handler stops, and pending requests
   * reject with a `closed` PlankError.
   */
  close() {
    if (this._closedByUser) return;
    this._closedByUser = true;
    globalThis.removeEventListener?.('online', this._onOnline);
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._failPending(new PlankError('closed', 'this Plank client was closed'));
    for (const [channel, state] of this._channels) {
      clearTimeout(state.hold);
      const error = new PlankError('closed', 'this Plank client was closed', { channel });
      state.latest?._fail(error);
      state.active?._fail(error);
    }
    this._channels.clear();
    for (const topic of [...this._topics.values()]) {
      topic._fail(new PlankError('closed', 'this Plank client was closed', { topic: topic.name }));
    }
    const socket = this._socket;
    this._detach();
    if (socket && socket.readyState <= OPEN) socket.close(1000, 'client closed');
    const wasClosed = this.state === 'closed';
    this.state = 'closed';
    if (!wasClosed) this._emit('closed', { code: 1000, reason: 'client closed', retryIn: null });
  }

  // --- connection -----------------------------------------------------------------------

  /** @internal */
  _connect() {
    if (this._closedByUser) return;
    this._retryTimer = null;
    this.state = 'connecting';
    this._emit('connecting', { attempt: this._attempt + 1 });
    let socket;
    try {
      socket = new this._WebSocket(this.url);
    } catch (error) {
      this._onSocketClosed(1006, String(error?.message ?? error));
      return;
    }
    this._socket = socket;
    socket.onopen = () => this._onOpen();
    socket.onmessage = (event) => this._onMessage(event.data);
    socket.onclose = (event) => {
      if (this._socket === socket) this._onSocketClosed(event.code, event.reason);
    };
    socket.onerror = () => {}; // a close event follows; nothing useful in the error
    // A handshake that never completes must not leave the client connecting for good: a server
    // or proxy may accept the connection and say nothing, and some WebSocket implementations
    // (Node 20's) never report a connection reset during the handshake.
    this._handshakeTimer = setTimeout(() => {
      if (this._socket !== socket) return;
      this._onSocketClosed(1006, 'no handshake within the timeout');
      try {
        socket.close();
      } catch {
        // closing already
      }
    }, this.options.timeout || DEFAULTS.timeout);
  }

  /** @internal */
  _onOpen() {
    clearTimeout(this._handshakeTimer);
    if (this.options.token) {
      // Nothing else goes out until the server accepted the token: a subscribe before it would
      // be refused as unauthorized.
      this.state = 'authenticating';
      this._authenticate(true);
      return;
    }
    this._ready();
  }

  /** @internal The connection is usable: restore the subscriptions and start the heartbeat. */
  _ready() {
    this.state = 'open';
    for (const state of this._channels.values()) {
      // The server forgot the old connection's subscriptions, snapshots and all.
      state.current = null;
      state.inflight = 0;
      state.snapshots = [];
      state.resync = null; // its cursor was dropped with it: the restore resyncs on its own
      state.reconnected = this._openedBefore;
      this._reconcile(state);
    }
    for (const topic of this._topics.values()) this._join(topic);
    this._openedBefore = true;
    this._startHeartbeat();
    this._emit('open', {});
  }

  /**
   * @internal Gets a token from the app and sends it as `auth`; on the first one of a connection
   * the connection becomes `open` when the server accepts it. A refused or missing first token
   * ends the connection (the reconnect asks the app again, after the back-off); a refused renewal
   * is reported and the server closes the connection when the old token expires.
   */
  async _authenticate(first) {
    const socket = this._socket;
    let token;
    try {
      const source = this.options.token;
      token = typeof source === 'function' ? await source() : source;
      if (typeof token !== 'string' || !token) throw new TypeError('the token function answered no string');
    } catch (error) {
      if (this._socket !== socket) return;
      this._emit('error', new PlankError('token', `no token: ${error?.message ?? error}`));
      if (first) this._drop(4001, 'no token');
      return;
    }
    if (this._socket !== socket || this._closedByUser) return;
    this._request({ action: 'auth', token }, {
      early: true,
      timeout: this.options.timeout,
      ok: (reply) => {
        this._scheduleRenewal(token, reply?.expires);
        if (first) this._ready();
      },
      fail: (error) => {
        if (error.code === 'disconnected' || error.code === 'closed') return;
        this._emit('error', error);
        if (first) this._drop(4001, 'authentication failed');
      },
    });
  }

  /** @internal Renews 30 s or a tenth of the token's lifetime before its `exp`, whichever is sooner. */
  _scheduleRenewal(token, expires) {
    clearTimeout(this._renewTimer);
    this._renewTimer = null;
    if (typeof this.options.token !== 'function') return; // a fixed string cannot be renewed
    const exp = tokenExpiry(token) ?? (typeof expires === 'number' ? expires * 1000 : null);
    if (exp === null) return;
    const left = exp - Date.now();
    const lead = Math.min(30_000, Math.max(0, left) / 10);
    this._renewTimer = setTimeout(() => {
      this._renewTimer = null;
      if (this.state === 'open') this._authenticate(false);
    }, Math.max(0, left - lead));
  }

  /**
   * @internal Any end of the socket that the user did not ask for: schedule a reconnect, to
   * another of the URLs when there are several. A draining node (1012) is left at once: its
   * clients reconnect within a short random spread (up to `minDelay`/4), without back-off.
   */
  _onSocketClosed(code, reason) {
    this._detach();
    this._failPending(new PlankError('disconnected', 'the connection closed before the reply'));
    if (this._closedByUser) return;
    this._nextUrl();
    const delay = code === SERVICE_RESTART
      ? Math.round((Math.random() * this.options.minDelay) / 4)
      : this._backoff(this._attempt++);
    this.state = 'closed';
    this._emit('closed', { code, reason: reason ?? '', retryIn: delay });
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  /**
   * @internal Another URL, picked at random among the others: the clients of a node that went
   * away spread over the rest instead of all moving to the same next one.
   */
  _nextUrl() {
    const others = this.urls.filter((u) => u !== this.url);
    if (others.length > 0) this.url = others[Math.floor(Math.random() * others.length)];
  }

  /** @internal Drops the current socket (if any) without closing it. */
  _detach() {
    clearTimeout(this._renewTimer);
    this._renewTimer = null;
    clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = null;
    clearTimeout(this._handshakeTimer);
    this._handshakeTimer = null;
    const socket = this._socket;
    this._socket = null;
    if (socket) socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
  }

  /** @internal Gives up on a socket that stopped answering: close it, reconnect with back-off. */
  _drop(code, reason) {
    const socket = this._socket;
    if (!socket) return;
    this._onSocketClosed(code, reason);
    try {
      socket.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** @internal Exponential back-off with "equal jitter": half fixed, half random. */
  _backoff(attempt) {
    const { minDelay, maxDelay } = this.options;
    const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 30));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** @internal */
  _startHeartbeat() {
    const { heartbeat } = this.options;
    if (!heartbeat) return;
    this._heartbeatTimer = setInterval(() => {
      this.ping().catch((error) => {
        if (error.code === 'timeout') this._drop(4000, 'no reply to heartbeat');
      });
    }, heartbeat);
  }

  // --- requests -------------------------------------------------------------------------

  /**
   * @internal Sends a request with a fresh id. `ok(reply)` or `fail(PlankError)` is called
   * synchronously when the reply is read, so the state it changes is in place before the next
   * message (a change right behind a `subscribed`) is handled. Returns the id, or null when not
   * connected (`fail` was then called already).
   */
  _request(message, { ok, fail, timeout = 0, early = false }) {
    if (this.state !== 'open' && !(early && this.state === 'authenticating')) {
      const code = this._closedByUser ? 'closed' : 'disconnected';
      fail(new PlankError(code, 'not connected'));
      return null;
    }
    const id = `p${this._nextId++}`;
    const timer = timeout
      ? setTimeout(() => {
        this._pending.delete(id);
        fail(new PlankError('timeout', `no reply within ${timeout} ms`));
      }, timeout)
      : null;
    this._pending.set(id, { ok, fail, timer });
    this._send({ ...message, id });
    return id;
  }

  /** @internal */
  _sendSubscribe(sub, restoring) {
    const state = this._channels.get(sub.channel);
    const { events, filter, snapshot } = sub.options;
    const message = { action: 'subscribe', channel: sub.channel };
    if (events) message.events = events;
    if (filter) message.filter = filter;
    // A subscription the app already had is "restored": resume from the last change delivered,
    // unless its snapshot never arrived in full, which is then asked for again.
    const resumable = restoring && this.options.resume && this._resumeSupported && (!snapshot || sub._snapshotDone);
    const since = resumable ? state.cursor : null;
    if (since) message.since = since;
    else if (snapshot) message.snapshot = true;
    const order = ++state.requests;
    const request = {
      sub,
      order,
      restoring,
      since,
      reconnected: state.reconnected,
      pages: message.snapshot ? { sub, order, id: null, held: [], acked: false, first: true } : null,
    };
    state.reconnected = false;
    if (request.pages) state.snapshots.push(request.pages);
    state.inflight++;
    const id = this._request(message, {
      ok: () => this._subscribed(state, request),
      fail: (error) => this._subscribeFailed(state, request, error),
    });
    if (request.pages) request.pages.id = id;
  }

  /** @internal */
  _subscribed(state, { sub, order, restoring, since, reconnected, pages }) {
    state.inflight--;
    state.current = sub; // what the server applies from here on
    // Snapshots asked for before this request get no more pages: the server moved on.
    state.snapshots = state.snapshots.filter((p) => p.order >= order);
    this._refusals.delete(sub.channel);
    if (sub === state.latest && !sub.closed) {
      // Only a channel that was live before can have missed changes. (A subscription made before
      // the first open, or while disconnected, loads its state after `ready` like any other.)
      const wasLive = Boolean(state.active && !state.active.closed);
      if (state.active && state.active !== sub) state.active.closed = true; // replaced
      state.active = sub;
      sub._ack();
      // Neither resumed nor reloaded by a fresh snapshot, a restored subscription may have
      // missed changes: tell the app, now that it is live again.
      if (restoring && wasLive && !since && !pages) {
        this._emit('resync', { channel: sub.channel, reason: reconnected ? 'reconnected' : 'restored' });
      }
    }
    if (pages) {
      pages.acked = true;
      for (const page of pages.held.splice(0)) this._deliverSnapshot(state, pages, page);
    }
    this._reconcile(state);
    this._releaseResync(state);
  }

  /** @internal */
  _subscribeFailed(state, request, error) {
    if (error.code === 'disconnected' || error.code === 'closed') return; // restored on reconnect
    const { sub, restoring, since, reconnected, pages } = request;
    state.inflight--;
    if (pages && state.snapshots.includes(pages)) state.snapshots.splice(state.snapshots.indexOf(pages), 1);
    if (since && error.code === 'bad_request' && sub === state.latest && !sub.closed) {
      // A server without resume support: subscribe plainly, and let the app resync.
      this._resumeSupported = false;
      state.reconnected = reconnected;
      this._sendSubscribe(sub, restoring);
      return;
    }
    this._refused(sub.channel);
    error.channel = sub.channel;
    const wasLive = sub === state.active && !sub.closed;
    sub._fail(error);
    if (state.active === sub) state.active = null;
    if (wasLive) this._emit('error', error);
    this._reconcile(state);
    this._releaseResync(state);
  }

  /**
   * @internal Sends an app's subscribe now, or once the back-off after the channel's last refusal
   * has passed: a refusal that a retry cannot fix (`unknown_channel`, `bad_filter`, …) must not
   * turn an app that subscribes again on every refusal into a tight loop.
   */
  _sendOrHold(state, sub) {
    const wait = (this._refusals.get(sub.channel)?.until ?? 0) - now();
    if (wait <= 0) {
      this._sendSubscribe(sub, false);
      return;
    }
    const { channel } = sub;
    state.hold = setTimeout(() => {
      state.hold = null;
      if (this._channels.get(channel) !== state) return; // unsubscribed, or closed, meanwhile
      const { latest } = state;
      // The app's latest subscribe goes out as new; anything else (it was withdrawn, or a
      // reconnect happened meanwhile) is settled the usual way.
      if (this.state === 'open' && latest && !latest.closed && state.current !== latest) this._sendSubscribe(latest, false);
      else this._reconcile(state);
    }, wait);
  }

  /** @internal Counts a refusal; the back-off before the channel's next subscribe doubles. */
  _refused(channel) {
    const count = (this._refusals.get(channel)?.count ?? 0) + 1;
    this._refusals.set(channel, { count, until: now() + this._backoff(count - 1) });
  }

  /** @internal Emits a server `resync` held back while a subscribe request was in flight. */
  _releaseResync(state) {
    if (!state.resync || state.inflight > 0) return;
    const detail = state.resync;
    state.resync = null;
    if (state.active && !state.active.closed) this._emit('resync', detail);
  }

  /**
   * @internal Once no subscribe request of the channel awaits a reply, makes the server apply
   * what the app wants: its latest subscription, else the active one (the latest was refused or
   * unsubscribed), else nothing.
   */
  _reconcile(state) {
    if (state.inflight > 0 || this.state !== 'open' || state.hold) return; // a hold ends with a reconcile
    if (!state.latest || state.latest.closed) state.latest = state.active?.closed ? null : state.active;
    const wanted = state.latest;
    if (wanted && state.current !== wanted) {
      this._sendSubscribe(wanted, true);
    } else if (!wanted && state.current) {
      const { channel } = state.current;
      state.current = null;
      if (this._channels.get(channel) !== state) return; // unsubscribed already, maybe resubscribed
      this._channels.delete(channel);
      this._send({ action: 'unsubscribe', channel });
    }
  }

  /** @internal */
  _unsubscribe(sub) {
    const state = this._channels.get(sub.channel);
    const known = state && (state.latest === sub || state.active === sub);
    sub._fail(new PlankError('closed', 'unsubscribed', { channel: sub.channel }));
    if (!known) return Promise.resolve();
    if (state.latest === sub) state.latest = null;
    if (state.active === sub) state.active = null;
    if (state.latest || (state.active && !state.active.closed)) {
      this._reconcile(state); // an earlier or later subscription of the channel goes on
      return Promise.resolve();
    }
    this._channels.delete(sub.channel); // a later subscribe starts afresh, from "now"
    clearTimeout(state.hold);
    // Nothing applied or asked for on this connection (a subscribe held back): nothing to undo.
    if (this.state !== 'open' || (!state.current && state.inflight === 0)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this._request({ action: 'unsubscribe', channel: sub.channel }, {
        ok: () => resolve(),
        // Disconnected or closed: the server forgot the subscription with the connection.
        fail: (error) => (error.code === 'disconnected' || error.code === 'closed' ? resolve() : reject(error)),
      });
    });
  }

  /** @internal */
  _failPending(error) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const { fail, timer } of pending) {
      clearTimeout(timer);
      fail(error);
    }
  }

  /** @internal */
  _send(message) {
    this._socket?.send(JSON.stringify(message));
  }

  // --- incoming -------------------------------------------------------------------------

  /** @internal */
  _onMessage(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return; // not the protocol; ignore
    }
    if (!message || typeof message !== 'object') return;
    this._attempt = 0; // the server answers: the next failure starts the back-off afresh
    const { type } = message;
    if (CHANGE_TYPES.has(type)) this._onChange(message);
    else if (type === 'snapshot') this._onSnapshot(message);
    else if (type === 'resync') this._onResync(message);
    else if (type === 'error') this._onError(message);
    else if (type === 'broadcast') this._topics.get(message.topic)?._broadcast(message);
    else if (type === 'presence_state') this._topics.get(message.topic)?._state(message.state);
    else if (type === 'presence_diff') this._topics.get(message.topic)?._diff(message.joins, message.leaves);
    else if (message.id !== undefined && this._pending.has(message.id)) this._reply(message.id, message);
  }

  /** @internal */
  _reply(id, value, error = null) {
    const pending = this._pending.get(id);
    this._pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.fail(error);
    else pending.ok(value);
  }

  /** @internal */
  _onError(message) {
    const error = new PlankError(message.code ?? 'error', message.message ?? 'error', { reply: message });
    if (message.id !== undefined && this._pending.has(message.id)) this._reply(message.id, null, error);
    else this._emit('error', error);
  }

  /** @internal */
  _onChange(change) {
    const state = this._channels.get(change.channel);
    const sub = state?.current;
    // Only what the app's subscription receives counts, for repeats and for the cursor: a change
    // sent under a replacement that was given up on may still have to reach the subscription
    // that goes on, in the replay from its own cursor.
    if (!sub || sub !== state.active || sub.closed) return;
    if (typeof change.seq === 'number') {
      if (state.seen.has(change.seq)) return; // a repeat (a resumed replay overlaps the live stream)
      state.seen.add(change.seq);
      if (state.seen.size > this.options.dedupeWindow) state.seen.delete(state.seen.values().next().value);
    }
    if (change.cursor) state.cursor = change.cursor;
    callApp(sub._onChange, change);
  }

  /**
   * @internal A snapshot page may arrive before its request's acknowledgement; it is then held
   * until it, so that the app sees pages only for a subscription that is live.
   */
  _onSnapshot(message) {
    const state = this._channels.get(message.channel);
    if (!state) return;
    // By the request's id when the server echoes it, else the oldest snapshot still open.
    const pages = message.id !== undefined
      ? state.snapshots.find((p) => p.id === message.id)
      : state.snapshots[0];
    if (!pages) return; // not asked for on this connection
    if (message.last) state.snapshots.splice(state.snapshots.indexOf(pages), 1);
    if (pages.acked) this._deliverSnapshot(state, pages, message);
    else pages.held.push(message);
  }

  /** @internal */
  _deliverSnapshot(state, pages, message) {
    const { sub } = pages;
    const first = pages.first;
    pages.first = false;
    if (sub !== state.active || sub.closed) return; // replaced or unsubscribed meanwhile
    const last = Boolean(message.last);
    if (last) sub._snapshotDone = true;
    const rows = Array.isArray(message.rows) ? message.rows : [];
    callApp(sub.options.onSnapshot, rows, { channel: sub.channel, first, last });
  }

  /**
   * @internal The server's cursor for the channel is too old (`cursor_expired`): the app must
   * reload; the subscription itself goes on live. Told once the subscription is live, so that a
   * reload then cannot miss a change.
   */
  _onResync(message) {
    const state = this._channels.get(message.channel);
    if (!state) return; // a channel the app no longer follows
    state.cursor = null; // no use resuming from it again
    state.resync = { channel: message.channel, reason: message.reason ?? 'server' };
    this._releaseResync(state);
  }

  /** @internal */
  _emit(event, detail) {
    for (const listener of [...(this._listeners.get(event) ?? [])]) callApp(listener, detail);
  }
}

/** A JWT's `exp` in ms, read without verifying (the server does); null when it has none. */
function tokenExpiry(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(payload)).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** Calls an app handler; its exception is reported, and does not stop delivery. */
function callApp(handler, ...args) {
  try {
    handler(...args);
  } catch (error) {
    report(error);
  }
}

/** Reports an app handler's exception the way an event handler's would be, without stopping us. */
function report(error) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else setTimeout(() => { throw error; });
}

function now() {
  return globalThis.performance?.now() ?? Date.now();
}
