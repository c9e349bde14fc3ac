// The items REST API (/api/items). Errors are thrown as ApiError, with the problem+json body's
// field errors when the server rejected the input (422).

/** An HTTP error from the API: `status`, `detail`, and `fields` (field → message) on 422. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.fields = Object.fromEntries((problem?.errors ?? []).map((e) => [e.field, e.message]));
  }
}

const PAGE = 1000; // the server's largest page

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: 'the server cannot be reached' });
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

/** The most items the dashboard loads. */
export const MAX_ITEMS = 5000;

/**
 * The items in id order, page by page: `{items, truncated}`, `truncated` when there were more than
 * `max`.
 */
export async function listItems(max = MAX_ITEMS) {
  const items = [];
  for (let offset = 0; offset < max; offset += PAGE) {
    const page = await call('GET', `/api/items?limit=${PAGE}&offset=${offset}`);
    items.push(...page);
    if (page.length < PAGE) return { items, truncated: false };
  }
  return { items, truncated: true };
}

export const createItem = (item) => call('POST', '/api/items', item);
export const updateItem = (id, item) => call('PATCH', `/api/items/${encodeURIComponent(id)}`, item);
export const deleteItem = (id) => call('DELETE', `/api/items/${encodeURIComponent(id)}`);
