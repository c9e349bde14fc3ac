// The dashboard: a live view of `items`. The view is loaded over REST once the subscription is
// acknowledged, with the changes that arrive meanwhile held back and applied after the load, so
// no change is missed between the two. Every reconnect that could not resume (a `resync`)
// reloads it the same way.
//
// A refusal that no retry can fix (`items` not captured, too many subscriptions) stops here and
// says so; the page tries again only after a reconnect (the server may have been restarted).
//
// <body data-view> is `loading`, `live` or `refused`, and <body data-filter> the filter in
// effect: the browser test waits on them.

import { Plank, matchesFilter } from './plank-client.js';
import { MAX_ITEMS, deleteItem, listItems } from './api.js';
import { EventLog, LiveStats, formatMs, parseTs } from './event-log.js';
import { ItemForm } from './item-form.js';
import { ItemsTable } from './items-table.js';

const $ = (id) => document.getElementById(id);

const plank = new Plank(); // this page's own server: /ws
const stats = new LiveStats();
const log = new EventLog($('events'), $('events-empty'));
const form = new ItemForm($('item-form'), { heading: $('form-heading') });
const table = new ItemsTable($('items-body'), {
  onEdit: (item) => form.edit(item),
  onDelete: remove,
  onCountChange: showCount,
});

const RELOAD_RETRY_MS = 2000;

let filter = new URLSearchParams(location.search).get('filter') ?? '';
let generation = 0; // bumps with each filter change; stale subscriptions give way
let loading = null; // the load in progress, {held: changes that arrived meanwhile}, else null
let shownOnce = false; // whether a view was ever loaded
let truncated = false; // whether the last load stopped at MAX_ITEMS
let refused = false; // whether the server refused `items` in a way no retry can fix

// --- the live view --------------------------------------------------------------------

/** Subscribes with `nextFilter`, then (re)loads the view for it. */
async function follow(nextFilter) {
  const gen = ++generation;
  const sub = plank.subscribe('items', nextFilter ? { filter: nextFilter } : {}, (change) => arrived(change, nextFilter));
  setView('loading');
  try {
    await sub.ready;
  } catch (error) {
    if (gen !== generation) return; // replaced by a newer filter meanwhile
    if (error.code !== 'bad_filter') {
      showRefused(error);
      return;
    }
    if (!shownOnce) {
      // Nothing to fall back on (a bad ?filter= in the address): show every item instead.
      await follow('');
    } else {
      // The server refused it: the previous subscription and view (or its load) go on.
      setView(loading ? 'loading' : 'live');
    }
    showFilterError(error.message);
    return;
  }
  if (gen !== generation) return;
  filter = nextFilter;
  refused = false;
  showFilterError('');
  const url = new URL(location.href);
  if (filter) url.searchParams.set('filter', filter);
  else url.searchParams.delete('filter');
  history.replaceState(null, '', url);
  await reload();
}

/**
 * Loads every item over REST and shows those that match the filter in effect. A later reload (a
 * filter change, a resync) supersedes this one; a failed load is retried.
 */
async function reload() {
  const load = { held: [] };
  loading = load;
  setView('loading');
  let page;
  try {
    page = await listItems();
  } catch (error) {
    if (loading !== load) return;
    showEmpty(`Could not load the items (${error.message}); retrying…`);
    // The changes held so far are in the next load's result: start it afresh.
    setTimeout(() => loading === load && reload(), RELOAD_RETRY_MS);
    return;
  }
  if (loading !== load) return;
  loading = null;
  truncated = page.truncated;
  const view = filter;
  table.replaceAll(page.items.filter((item) => matches(view, item)));
  for (const { change, filter: f } of load.held) apply(change, f);
  shownOnce = true;
  setView('live');
}

/** A change from the server, under the subscription made with `f`. */
function arrived(change, f) {
  const latency = Date.now() - parseTs(change.ts);
  stats.record(latency);
  log.add(change, latency);
  showCounters();
  if (loading) loading.held.push({ change, filter: f });
  else apply(change, f);
}

function apply(change, f) {
  const { type, data } = change;
  if (type === 'DELETE') {
    table.remove(data.id);
    form.itemDeleted(data.id);
  } else if (matches(f, data)) {
    table.upsert(data, type === 'INSERT' ? 'insert' : 'update');
  } else {
    table.remove(data.id); // an UPDATE that took the row out of the filtered view
  }
}

function matches(f, row) {
  try {
    return matchesFilter(f, row);
  } catch {
    return true; // the server accepted it; show rather than hide what we cannot evaluate
  }
}

async function remove(item, button) {
  button.disabled = true;
  const row = button.closest('tr');
  const next = row.nextElementSibling ?? row.previousElementSibling;
  try {
    await deleteItem(item.id);
    // Keep keyboard users in the table: focus the same button on a neighbouring row.
    const target = next?.querySelector(`button[data-action="${button.dataset.action}"]`);
    (target ?? $('items-heading')).focus();
  } catch (error) {
    button.disabled = false;
    $('item-status').textContent = error.status === 404 ? `Item ${item.id} was already deleted.` : error.message;
  }
}

// --- what the page shows ----------------------------------------------------------------

function setView(state) {
  document.body.dataset.view = state;
  document.body.dataset.filter = filter;
  $('items-table').setAttribute('aria-busy', String(state === 'loading'));
  if (state === 'live') showCount(table.size);
  else if (!shownOnce) showEmpty('Waiting for the server…');
}

function showCount(n) {
  $('item-count').textContent = truncated ? `${n}+` : `${n}`;
  $('item-count').title = truncated ? `Only the first ${MAX_ITEMS.toLocaleString()} items (by id) were loaded` : '';
  if (n > 0 || document.body.dataset.view !== 'live') return showEmpty('');
  showEmpty(filter ? `No items match ${filter}.` : 'No items yet. Add one with the form.');
}

function showEmpty(text) {
  $('items-empty').textContent = text;
  $('items-empty').hidden = !text;
}

function showFilterError(text) {
  const note = $('filter-error');
  note.textContent = text;
  note.hidden = !text;
  $('filter').toggleAttribute('aria-invalid', Boolean(text));
}

/**
 * The server refused `items` for a reason a retry cannot fix: say what to do about it, and stop.
 * The table is emptied, as nothing keeps it up to date any more.
 */
function showRefused(error) {
  refused = true;
  loading = null;
  table.replaceAll([]);
  setView('refused');
  $('item-count').textContent = '';
  const empty = $('items-empty');
  if (error.code === 'unknown_channel') {
    empty.replaceChildren(
      code('items'), ' is not captured by this server: start Plank with ', code('PLANK_TABLES=items,…'),
      `. The server says: ${error.message}.`,
    );
  } else {
    empty.replaceChildren('The server refused the live view of ', code('items'), `: ${error.message}`);
  }
  empty.hidden = false;
}

function code(text) {
  const element = document.createElement('code');
  element.textContent = text;
  return element;
}

function showCounters() {
  $('rate').textContent = formatRate(stats.rate());
  $('latency').textContent = formatMs(stats.medianLatency());
  $('received').textContent = stats.received.toLocaleString();
}

const formatRate = (r) => (r === 0 ? '0' : r < 10 ? r.toFixed(1) : Math.round(r).toLocaleString());

let retryTimer = null;
function showConnection(state, text) {
  clearInterval(retryTimer);
  $('connection').dataset.state = state;
  $('connection-text').textContent = text;
}

plank.on('connecting', ({ attempt }) => showConnection('connecting', attempt > 1 ? `Reconnecting (attempt ${attempt})…` : 'Connecting…'));
plank.on('open', () => {
  showConnection('open', 'Live');
  if (refused) follow(filter); // a new connection, maybe to a restarted server: ask once more
});
plank.on('closed', ({ retryIn }) => {
  if (retryIn === null) return showConnection('closed', 'Disconnected');
  const until = Date.now() + retryIn;
  const tick = () => {
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    $('connection-text').textContent = s > 0 ? `Offline · retrying in ${s} s` : 'Offline · retrying…';
  };
  showConnection('closed', '');
  tick();
  retryTimer = setInterval(tick, 1000);
});
plank.on('resync', ({ reason }) => {
  log.note(reason === 'cursor_expired' ? 'Too far behind to catch up · reloading the items' : 'Reconnected · reloading the items');
  reload();
});
plank.on('error', (error) => {
  log.note(`Server error: ${error.message}`);
  // The live subscription was refused when it was restored (the server restarted without it).
  if (error.channel === 'items') showRefused(error);
});

setInterval(() => {
  $('rate').textContent = formatRate(stats.rate());
}, 500);

// --- the filter box -------------------------------------------------------------------

const filterInput = $('filter');
filterInput.value = filter;
let debounce = null;
const applyFilter = () => {
  clearTimeout(debounce);
  const next = filterInput.value.trim();
  if (next !== filter || document.body.dataset.view !== 'live') follow(next);
};
filterInput.addEventListener('input', () => {
  clearTimeout(debounce);
  debounce = setTimeout(applyFilter, 400);
});
$('filter-form').addEventListener('submit', (event) => {
  event.preventDefault();
  applyFilter();
});

// "/" jumps to the filter, as on many sites; Escape clears it.
document.addEventListener('keydown', (event) => {
  const typing = event.target.closest?.('input, textarea, select, [contenteditable]');
  if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    filterInput.focus();
    filterInput.select();
  }
});
filterInput.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && filterInput.value) {
    event.preventDefault();
    filterInput.value = '';
    applyFilter();
  }
});

follow(filter);
