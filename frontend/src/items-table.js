// The items table: one <tr data-id> per item, newest first, updated in place. Rows that arrive
// or change are briefly highlighted; deleted rows fade out.

const reducedMotion = globalThis.matchMedia?.('(prefers-reduced-motion: reduce)');
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export class ItemsTable {
  /**
   * @param {HTMLTableSectionElement} body
   * @param {{onEdit: (item) => void, onDelete: (item) => void, onCountChange?: (n: number) => void}} actions
   */
  constructor(body, actions) {
    this.body = body;
    this.actions = actions;
    /** id → {item, row} */
    this.rows = new Map();
    body.addEventListener('click', (event) => this.#onClick(event));
  }

  get size() {
    return this.rows.size;
  }

  /** Shows exactly these items. */
  replaceAll(items) {
    this.rows.clear();
    const fragment = document.createDocumentFragment();
    for (const item of [...items].sort((a, b) => b.id - a.id)) {
      const row = this.#render(item);
      this.rows.set(String(item.id), { item, row });
      fragment.append(row);
    }
    this.body.replaceChildren(fragment);
    this.actions.onCountChange?.(this.size);
  }

  /** Inserts or updates an item's row; `flash` highlights it ('insert' or 'update'). */
  upsert(item, flash) {
    const key = String(item.id);
    const existing = this.rows.get(key);
    const row = this.#render(item);
    if (existing) {
      for (const [i, cell] of [...row.cells].entries()) {
        if (cell.dataset.col && cell.textContent !== existing.row.cells[i].textContent) cell.classList.add('changed');
      }
      existing.row.replaceWith(row);
    } else {
      this.body.insertBefore(row, this.#rowAfter(item.id));
    }
    this.rows.set(key, { item, row });
    if (flash) this.#flash(row, existing ? 'update' : flash);
    if (!existing) this.actions.onCountChange?.(this.size);
  }

  /** Removes an item's row (fading it out), if shown. */
  remove(id) {
    const key = String(id);
    const entry = this.rows.get(key);
    if (!entry) return;
    this.rows.delete(key);
    this.actions.onCountChange?.(this.size);
    const { row } = entry;
    if (reducedMotion?.matches) return row.remove();
    row.dataset.leaving = '';
    row.querySelectorAll('button').forEach((b) => (b.disabled = true));
    const done = () => row.remove();
    row.addEventListener('animationend', done, { once: true });
    setTimeout(done, 400); // in case no animation runs (hidden tab)
  }

  get(id) {
    return this.rows.get(String(id))?.item;
  }

  /** The first shown row with a smaller id (rows are newest first), or null. */
  #rowAfter(id) {
    for (const row of this.body.rows) {
      if (!('leaving' in row.dataset) && Number(row.dataset.id) < id) return row;
    }
    return null;
  }

  #flash(row, kind) {
    row.dataset.flash = kind;
    row.addEventListener('animationend', () => delete row.dataset.flash, { once: true });
  }

  #render(item) {
    const row = document.createElement('tr');
    row.dataset.id = item.id;
    row.append(
      cell('id', item.id, 'num'),
      cell('name', item.name, 'name'),
      cell('value', item.value ?? '–', 'num'),
      timeCell(item.updated_at),
      actionsCell(item),
    );
    return row;
  }

  #onClick(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const item = this.get(button.closest('tr').dataset.id);
    if (!item) return;
    if (button.dataset.action === 'edit') this.actions.onEdit(item);
    else if (button.dataset.action === 'delete') this.actions.onDelete(item, button);
  }
}

function cell(col, text, className) {
  const td = document.createElement('td');
  td.dataset.col = col;
  td.className = className;
  td.textContent = text;
  return td;
}

function timeCell(iso) {
  const td = document.createElement('td');
  td.dataset.col = 'updated_at';
  td.className = 'when';
  const date = iso ? new Date(iso) : null;
  if (date && !Number.isNaN(date.getTime())) {
    const time = document.createElement('time');
    time.dateTime = date.toISOString();
    time.title = dateFormat.format(date);
    time.textContent = timeFormat.format(date);
    td.append(time);
  } else {
    td.textContent = '–';
  }
  return td;
}

function actionsCell(item) {
  const td = document.createElement('td');
  td.className = 'row-actions';
  const label = `item ${item.id}${item.name ? ` (${item.name})` : ''}`;
  td.append(button('edit', 'Edit', `Edit ${label}`), button('delete', 'Delete', `Delete ${label}`));
  return td;
}

function button(action, text, label) {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.action = action;
  b.className = `small ${action}`;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  return b;
}
