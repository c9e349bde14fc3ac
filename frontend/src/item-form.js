// The create / edit form. Talks to the REST API; the table itself changes only when the
// change comes back over the WebSocket, like any other writer's.

import { ApiError, createItem, updateItem } from './api.js';

export class ItemForm {
  /** @param {HTMLFormElement} form */
  constructor(form, { heading }) {
    this.form = form;
    this.heading = heading;
    this.fields = { name: form.elements.name, value: form.elements.value };
    this.submit = form.querySelector('[type=submit]');
    this.cancel = form.querySelector('#item-cancel');
    this.status = form.querySelector('[role=status]');
    this.editing = null;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#save();
    });
    this.cancel.addEventListener('click', () => this.reset());
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.editing) this.reset();
    });
  }

  /** Switches to editing `item`, and focuses its name. */
  edit(item) {
    this.editing = item;
    this.#clearErrors();
    this.fields.name.value = item.name ?? '';
    this.fields.value.value = item.value ?? '';
    this.heading.textContent = `Edit item #${item.id}`;
    this.submit.textContent = 'Save changes';
    this.cancel.hidden = false;
    this.form.dataset.mode = 'edit';
    this.#say('');
    this.fields.name.focus();
    this.fields.name.select();
  }

  /** Back to creating a new item. */
  reset() {
    const wasEditing = this.editing;
    this.editing = null;
    this.form.reset();
    this.#clearErrors();
    this.heading.textContent = 'New item';
    this.submit.textContent = 'Add item';
    this.cancel.hidden = true;
    delete this.form.dataset.mode;
    if (wasEditing) this.fields.name.focus();
  }

  /** The item being edited changed elsewhere: deleted means there is nothing left to edit. */
  itemDeleted(id) {
    if (this.editing && String(this.editing.id) === String(id)) {
      this.reset();
      this.#say(`Item ${id} was deleted.`);
    }
  }

  async #save() {
    this.#clearErrors();
    this.#say(''); // what the last submit said no longer applies
    const name = this.fields.name.value.trim();
    const rawValue = this.fields.value.value.trim();
    const body = { name, value: rawValue === '' ? null : Number(rawValue) };
    const local = {};
    if (!name) local.name = 'Enter a name.';
    if (rawValue !== '' && !Number.isInteger(body.value)) local.value = 'Enter a whole number.';
    if (Object.keys(local).length) return this.#showErrors(local);

    this.submit.disabled = true;
    try {
      const editing = this.editing;
      const saved = editing ? await updateItem(editing.id, body) : await createItem(body);
      this.reset();
      this.#say(editing ? `Item ${saved.id} saved.` : `Item ${saved.id} added.`);
      this.fields.name.focus();
    } catch (error) {
      if (error instanceof ApiError && Object.keys(error.fields).length) this.#showErrors(error.fields);
      else if (error instanceof ApiError && error.status === 404 && this.editing) {
        const { id } = this.editing;
        this.reset();
        this.#say(`Item ${id} no longer exists.`, true);
      } else this.#say(error.message, true);
    } finally {
      this.submit.disabled = false;
    }
  }

  #showErrors(errors) {
    let first = null;
    for (const [field, message] of Object.entries(errors)) {
      const input = this.fields[field];
      const note = this.form.querySelector(`#item-${field}-error`);
      if (!input || !note) {
        this.#say(message, true);
        continue;
      }
      input.setAttribute('aria-invalid', 'true');
      note.textContent = message.charAt(0).toUpperCase() + message.slice(1);
      note.hidden = false;
      first ??= input;
    }
    first?.focus();
  }

  #clearErrors() {
    for (const input of Object.values(this.fields)) input.removeAttribute('aria-invalid');
    for (const note of this.form.querySelectorAll('.field-error')) {
      note.hidden = true;
      note.textContent = '';
    }
  }

  #say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle('error', isError);
  }
}
