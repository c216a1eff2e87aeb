import type { Borrower, FarmCollection, ListPage, Loan } from '../server/api-types.ts';
import { getJson } from './api.ts';

/** One thing found: a farm, a borrower or a loan (which opens its collateral panel too). */
export type SearchHit =
  | { kind: 'farm'; id: string; title: string }
  | { kind: 'borrower'; id: string; title: string }
  | { kind: 'loan'; id: string; borrowerId: string; title: string };

const LIMIT = 8;

/**
 * Asks the service's lists (`q`: case-insensitive text search) for farms, borrowers and loans. A
 * borrower found brings its loans along, so a loan is found by its reference or its borrower's
 * name; a loan hit names its borrower.
 */
export async function searchPortfolio(text: string, signal?: AbortSignal): Promise<SearchHit[]> {
  const q = encodeURIComponent(text);
  const [farms, borrowers, loans] = await Promise.all([
    getJson<FarmCollection>(`/api/farms?q=${q}&limit=${LIMIT}`, signal),
    getJson<ListPage<Borrower>>(`/api/borrowers?q=${q}&limit=${LIMIT}`, signal),
    getJson<ListPage<Loan>>(`/api/loans?q=${q}&limit=${LIMIT}`, signal),
  ]);
  const borrowerNames = new Map(borrowers.items.map((b) => [b.id, b.name]));
  const [borrowersLoans, otherBorrowers] = await Promise.all([
    Promise.all(
      borrowers.items.map((b) =>
        getJson<ListPage<Loan>>(`/api/loans?borrowerId=${b.id}&limit=${LIMIT}`, signal),
      ),
    ),
    Promise.all(
      [...new Set(loans.items.map((l) => l.borrowerId))]
        .filter((id) => !borrowerNames.has(id))
        .map((id) => getJson<Borrower>(`/api/borrowers/${id}`, signal).catch(() => null)),
    ),
  ]);
  for (const b of otherBorrowers) if (b !== null) borrowerNames.set(b.id, b.name);
  const loanHits = new Map<string, Loan>();
  for (const loan of [...loans.items, ...borrowersLoans.flatMap((page) => page.items)])
    loanHits.set(loan.id, loan);
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
    ...[...loanHits.values()].map((l): SearchHit => ({
      kind: 'loan',
      id: l.id,
      borrowerId: l.borrowerId,
      title: [
        l.reference,
        borrowerNames.get(l.borrowerId),
        `${l.balance} ${l.currency} outstanding`,
      ]
        .filter((part) => part !== undefined)
        .join(' · '),
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
