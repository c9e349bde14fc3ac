// Type declarations for plank-client.js, Plank's WebSocket client (protocol v1).

export declare const PROTOCOL_VERSION: 1;

/** The row operations a subscription can receive. */
export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE';

/** Error codes of the server's `error` replies, and the client's own. */
export type PlankErrorCode =
  | 'bad_json'
  | 'bad_request'
  | 'unknown_action'
  | 'unknown_channel'
  | 'bad_filter'
  | 'too_many_subscriptions'
  /** Over the connection's message or subscribe rate; retry after a back-off. */
  | 'rate_limited'
  /** Too many snapshots/replays (or, while the database is down, requests) wait; retry later. */
  | 'busy'
  /** The snapshot or replay query ran past the server's PLANK_QUERY_TIMEOUT. */
  | 'query_timeout'
  /** No token where one is needed, or a refused token or renewal. */
  | 'unauthorized'
  /** The `token` option threw, rejected or answered no string. */
  | 'token'
  /** No reply in time (ping). */
  | 'timeout'
  /** The connection went away before the reply. */
  | 'disconnected'
  /** The client was closed, or the subscription unsubscribed. */
  | 'closed'
  | (string & {});

/** One committed row change, as the server sends it. */
export interface Change<Row = Record<string, unknown>> {
  type: ChangeType;
  /** The channel subscribed to, such as `items` or `schema.table`. */
  channel: string;
  schema: string;
  table: string;
  /** The new row (INSERT, UPDATE) or the deleted row (DELETE). */
  data: Row;
  /** The row before an UPDATE. */
  old?: Row;
  /** The change's position in the change log; unique, increasing in write order. */
  seq: number;
  /** Where to resume after this change: `<seq>.<snapshot_xmin>`. */
  cursor: string;
  /** When the change was written, ISO 8601 in UTC with microseconds. */
  ts: string;
}

/** Where a page of a snapshot stands; given to `onSnapshot` with the page's rows. */
export interface SnapshotPage {
  channel: string;
  /**
   * The snapshot's first page: replace whatever you hold for the subscription. A snapshot comes
   * again, from its first page, after a reconnect that could not resume.
   */
  first: boolean;
  /** Its last page: the changes after the snapshot follow. */
  last: boolean;
}

export interface SubscribeOptions<Row = Record<string, unknown>> {
  /** Which operations to receive; default all three. */
  events?: ChangeType[];
  /** PostgREST-style filter: `column=op.value` joined by `&`; ops eq neq lt lte gt gte in.(a,b) is.null. */
  filter?: string;
  /**
   * First get the rows that match now, in pages, to `onSnapshot`; the changes after that
   * snapshot follow, with no gap (servers that support it; others refuse with `bad_request`).
   */
  snapshot?: boolean;
  /** Gets the snapshot's rows, a page at a time, before the changes. Required with `snapshot: true`. */
  onSnapshot?: (rows: Row[], page: SnapshotPage) => void;
}

export interface PlankOptions {
  /** Resume from each channel's last cursor after a reconnect (falls back to `resync`). Default true. */
  resume?: boolean;
  /**
   * First reconnect delay in ms, doubled on each failure. Default 500. The same back-off spaces a
   * channel's subscribes after the server refused one.
   */
  minDelay?: number;
  /** Longest reconnect delay in ms. Default 30000. */
  maxDelay?: number;
  /** Ping interval in ms; 0 disables the heartbeat. Default 25000. */
  heartbeat?: number;
  /** How long a ping waits for its pong, and a connection attempt for its handshake, in ms. Default 10000. */
  timeout?: number;
  /** How many recent `seq` per channel are remembered to drop repeats. Default 10000. */
  dedupeWindow?: number;
  /** The WebSocket class to use; default the global `WebSocket`. */
  WebSocket?: new (url: string) => WebSocket;
  /**
   * Several server URLs (the nodes of a cluster), used when `url` is not given: the client starts
   * at a random one and, on each reconnect, moves to another one picked at random.
   */
  urls?: Array<string | URL>;
  /**
   * A JWT, or a function answering a fresh one (called on every connect, and before the token's
   * `exp` to renew it). Sent as the first message (`auth`), never in the URL; subscriptions go out
   * once the server accepted it. A token that cannot be had or is refused is an `error` event.
   */
  token?: string | (() => string | Promise<string>);
}

export type ConnectionState = 'connecting' | 'authenticating' | 'open' | 'closed';

export interface PlankEvents {
  connecting: { attempt: number };
  open: Record<string, never>;
  /** `retryIn` is the delay before the next attempt, or `null` after `close()`. */
  closed: { code: number; reason: string; retryIn: number | null };
  /**
   * Changes may have been missed on `channel`; it is live again: reload its state. `reconnected`:
   * a reconnect the server could not resume; `restored`: a refused or withdrawn replacement put
   * the earlier subscription back without a cursor; `cursor_expired`: the server's log no longer
   * reaches back to the cursor.
   */
  resync: { channel: string; reason: 'reconnected' | 'restored' | 'cursor_expired' | (string & {}) };
  error: PlankError;
}

export declare class PlankError extends Error {
  constructor(code: PlankErrorCode, message: string, details?: { channel?: string; reply?: object });
  readonly name: 'PlankError';
  readonly code: PlankErrorCode;
  /** The subscription's channel, for errors about one. */
  channel?: string;
  /** The server's `error` message, when there was one. */
  readonly reply?: { type: 'error'; id?: string | number; code: string; message: string };
}

export declare class Subscription<Row = Record<string, unknown>> {
  readonly channel: string;
  readonly options: Readonly<SubscribeOptions<Row>>;
  /** Whether the server has acknowledged it at least once. */
  readonly acknowledged: boolean;
  /** Whether it was unsubscribed, replaced, or refused. */
  readonly closed: boolean;
  /**
   * Resolves once acknowledged (waiting across reconnects); rejects with a PlankError when refused.
   * A refusal is not retried; the channel's next subscribe waits a back-off.
   */
  readonly ready: Promise<Subscription<Row>>;
  /** The cursor of the last change handed to the app on the channel, or null. */
  readonly cursor: string | null;
  /** Stops the subscription; resolves when the server acknowledged (or at once when offline). */
  unsubscribe(): Promise<void>;
}

/** Who is present in a topic, by key; each state carries its `presence_ref`. */
export type PresenceState<State = Record<string, unknown>> = Record<
  string,
  Array<State & { presence_ref: string }>
>;

export type PresenceChange<State = Record<string, unknown>> =
  | { type: 'state' }
  | { type: 'diff'; joins: PresenceState<State>; leaves: PresenceState<State> };

export declare class Topic<State = Record<string, unknown>> {
  readonly name: string;
  /** Who is present: replaced on every (re)join, updated by every diff. */
  readonly presence: PresenceState<State>;
  /** Whether it was left, or refused. */
  readonly closed: boolean;
  /** Resolves once the server accepted the join; rejects with a PlankError (`forbidden`, …). */
  readonly ready: Promise<Topic<State>>;
  /** Calls `handler` for each broadcast of `event` (`'*'`: every event); returns a remover. */
  on<Payload = unknown>(
    event: string,
    handler: (payload: Payload, detail: { event: string; topic: string }) => void,
  ): () => void;
  /** Calls `handler` whenever `presence` changes; returns a remover. */
  onPresence(
    handler: (presence: PresenceState<State>, change: PresenceChange<State>) => void,
  ): () => void;
  /**
   * Broadcasts to every member on every node; `self`: this client gets it too; `ack`: resolves
   * once the server accepted and sent it. Rejects with a PlankError when refused.
   */
  send(event: string, payload?: unknown, options?: { self?: boolean; ack?: boolean }): Promise<void>;
  /** Tracks this client's presence (tracked again after reconnects); resolves with the key. */
  track(state?: State, options?: { key?: string }): Promise<string>;
  untrack(): Promise<void>;
  leave(): Promise<void>;
}

export declare class Plank {
  /**
   * @param url `ws(s)://host:port/ws` or the server's `http(s)://` base URL; in a browser,
   *   defaults to the page's own server. Several URLs (the nodes of a cluster) as an array.
   */
  constructor(url?: string | URL | Array<string | URL>, options?: PlankOptions);
  /** The WebSocket URL of the current (or next) connection. */
  readonly url: string;
  /** Every server URL, as WebSocket URLs. */
  readonly urls: readonly string[];
  readonly options: Required<Omit<PlankOptions, 'WebSocket' | 'urls'>> & Pick<PlankOptions, 'WebSocket'>;
  readonly state: ConnectionState;

  on<E extends keyof PlankEvents>(event: E, listener: (detail: PlankEvents[E]) => void): () => void;
  off<E extends keyof PlankEvents>(event: E, listener: (detail: PlankEvents[E]) => void): void;

  /**
   * Subscribes to a channel: `onChange` gets each change once. Subscribing again to the channel
   * replaces the subscription once the server acknowledges the new one. After a refused subscribe
   * to the channel, this one is sent once a back-off has passed (doubling with each refusal in a
   * row; an acknowledgement resets it).
   */
  subscribe<Row = Record<string, unknown>>(
    channel: string,
    options: SubscribeOptions<Row>,
    onChange: (change: Change<Row>) => void,
  ): Subscription<Row>;
  subscribe<Row = Record<string, unknown>>(
    channel: string,
    onChange: (change: Change<Row>) => void,
  ): Subscription<Row>;

  /**
   * The topic `name` for broadcasts and presence: joined now (when connected) and after every
   * reconnect; the same Topic until it is left.
   */
  topic<State = Record<string, unknown>>(name: string): Topic<State>;

  /** Resolves with the round-trip time in ms. */
  ping(): Promise<number>;
  /** Closes for good: no reconnect; pending requests reject with a `closed` PlankError. */
  close(): void;
}

/** The WebSocket URL for a `ws(s)://` or `http(s)://` server URL. */
export declare function websocketUrl(url?: string | URL): string;

/** A filtered column's kind, from its PostgreSQL type: numeric types, boolean, anything else. */
export type ColumnKind = 'number' | 'boolean' | 'text';

/**
 * Whether a row matches a filter the way the server evaluates it (PostgreSQL's rules: exact
 * decimals, code-point text order). With `columns` it gives the server's answer on every row and
 * throws a `bad_filter` PlankError where the server refuses the filter; without it each value's
 * kind is taken from its JSON type. Numbers beyond a double's 17 digits are exact as `bigint`.
 */
export declare function matchesFilter(
  filter: string | null | undefined,
  row: Record<string, unknown> | null | undefined,
  columns?: Record<string, ColumnKind>,
): boolean;
