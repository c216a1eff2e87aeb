import type { Borrower, FarmCollection, ListPage, Loan } from '../server/api-types.ts';
import { getJson } from './api.ts';

/** One thing found: a farm, a borrower or a loan, and what the map should zoom to. */
export type SearchHit =
  | { kind: 'farm'; id: string; title: string }
  | { kind: 'borrower'; id: string; title: string }
  | { kind: 'loan'; id: string; borrowerId: string; title: string };

const LIMIT = 8;

/** Asks the service's lists (`q`: case-insensitive text search) for farms, borrowers and loans. */
export async function searchPortfolio(text: string, signal?: AbortSignal): Promise<SearchHit[]> {
  const q = encodeURIComponent(text);
  const [farms, borrowers, loans] = await Promise.all([
    getJson<FarmCollection>(`/api/farms?q=${q}&limit=${LIMIT}`, signal),
    getJson<ListPage<Borrower>>(`/api/borrowers?q=${q}&limit=${LIMIT}`, signal),
    getJson<ListPage<Loan>>(`/api/loans?q=${q}&limit=${LIMIT}`, signal),
  ]);
  return [
    ...farms.features.map((f): SearchHit => ({
      kind: 'farm',
      id: f.id,
      title: `${f.properties.name} (${f.properties.code}) · ${f.properties.borrowerName}`,
    })),
    ...borrowers.items.map((b): SearchHit => ({
      kind: 'borrower',
      id: b.id,
      title: `${b.name} (${b.ref})`,
    })),
    ...loans.items.map((l): SearchHit => ({
      kind: 'loan',
      id: l.id,
      borrowerId: l.borrowerId,
      title: `${l.reference} · ${l.balance} ${l.currency} outstanding`,
    })),
  ];
}

/**
 * Wires the search box: searches as the officer types (debounced; a newer search cancels the
 * older), lists the hits as buttons, and calls `show` with the one chosen.
 */
export function attachSearch(
  form: HTMLFormElement,
  input: HTMLInputElement,
  results: HTMLElement,
  show: (hit: SearchHit) => void,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: AbortController | null = null;
  const run = (): void => {
    running?.abort();
    const text = input.value.trim();
    results.replaceChildren();
    if (text === '') return;
    const controller = new AbortController();
    running = controller;
    searchPortfolio(text, controller.signal)
      .then((hits) => {
        if (controller.signal.aborted) return;
        results.replaceChildren(
          ...(hits.length === 0 ? [message(`nothing matches “${text}”`)] : hits.map(hitItem)),
        );
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted)
          results.replaceChildren(message(`search failed: ${String(error)}`));
      });
  };
  const hitItem = (hit: SearchHit): HTMLLIElement => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset['kind'] = hit.kind;
    button.textContent = `${hit.kind}: ${hit.title}`;
    button.addEventListener('click', () => show(hit));
    item.append(button);
    return item;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
}

function message(text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'search-message';
  item.textContent = text;
  return item;
}
