import type uPlot from 'uplot';
import {
  ApiError,
  getLoanCollateral,
  getLoanCoverage,
  type CoverageSeries,
  type LoanCollateral,
} from '../api.ts';
import { severityAppearance } from '../alerts/alert-order.ts';
import { drawTimeChart } from '../charts/time-chart.ts';
import {
  COVERAGE_CRITICAL_BELOW,
  COVERAGE_WARNING_BELOW,
  coverageAppearance,
  formatRatio,
} from './coverage-level.ts';
import { herdTable, parcelTable, type CollateralSubject } from './loan-collateral-table.ts';
import { readValuationMoment, toDateInputValue } from './loan-dates.ts';
import { formatMoney } from './loan-format.ts';
import { reportForm } from './loan-report-form.ts';

const DAY_MS = 86_400_000;
/** The coverage chart's span and resolution: 90 days up to the moment valued, one point a day. */
const COVERAGE_DAYS = 90;
const COVERAGE_POINTS = 91;

export interface LoanPanelOptions {
  /** The panel's element: the loan's collateral and report form are drawn in it. */
  readonly element: HTMLElement;
  /** Zooms the map to a pledged parcel or herd and marks it. */
  readonly zoomTo: (subject: CollateralSubject) => void;
  /** Called when the panel closes (e.g. to take the loan out of the URL). */
  readonly onClose?: () => void;
  readonly now?: () => Date;
}

/**
 * A loan's collateral file on the map: the loan, its borrower and balance, the coverage ratio now
 * (in the alerts' severity colours, with a mark and words), the coverage and the value split over
 * the last 90 days (uPlot), the pledged parcels and herds (a row zooms the map to its subject),
 * and the post-loan report's links for a period. "Valued at" shows all of it as of the end of an
 * earlier day (a crop is collateral only until its season ends). A loan the officer cannot see
 * (another branch's, or none) answers 404: the panel says it was not found. Escape closes the
 * panel and gives the focus back to what opened it.
 */
export class LoanPanel {
  /** What is shown, for the tests: the loan's reference, `not-found:<id>`, or null. */
  showing: string | null = null;
  private readonly element: HTMLElement;
  private readonly options: LoanPanelOptions;
  private readonly now: () => Date;
  private charts: uPlot[] = [];
  private loading: AbortController | null = null;
  private opener: HTMLElement | null = null;
  private loanId: string | null = null;

  constructor(options: LoanPanelOptions) {
    this.options = options;
    this.element = options.element;
    this.now = options.now ?? (() => new Date());
    this.element.classList.add('loan-panel');
    this.element.hidden = true;
    this.element.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || this.element.hidden) return;
      event.preventDefault();
      this.close();
    });
  }

  /** The loan shown (or being loaded), if any. */
  get openLoanId(): string | null {
    return this.loanId;
  }

  /**
   * Opens the loan's panel: reads its collateral now and its coverage over the last 90 days,
   * then draws them. `opener` gets the focus back on Escape or close.
   */
  async open(loanId: string, opener: Element | null = document.activeElement): Promise<void> {
    if (opener instanceof HTMLElement && !this.element.contains(opener)) this.opener = opener;
    this.begin('Loan', 'loading').append(message('Reading the loan’s collateral…', 'status'));
    this.focusHeading();
    await this.load(loanId, null, 'heading');
  }

  close(): void {
    if (this.element.hidden) return;
    this.loading?.abort();
    this.loading = null;
    this.destroyCharts();
    this.showing = null;
    this.loanId = null;
    this.element.hidden = true;
    this.element.replaceChildren();
    const opener = this.opener;
    this.opener = null;
    if (opener?.isConnected === true) opener.focus();
    this.options.onClose?.();
  }

  /** Reads the collateral at `at` (null: now) and the 90 days of coverage up to it, and draws. */
  private async load(
    loanId: string,
    at: Date | null,
    focus: 'heading' | 'valued-at',
  ): Promise<void> {
    this.loading?.abort();
    const loading = new AbortController();
    this.loading = loading;
    this.loanId = loanId;
    const to = at ?? this.now();
    const from = new Date(to.getTime() - COVERAGE_DAYS * DAY_MS);
    const [collateral, coverage] = await Promise.all([
      getLoanCollateral(loanId, at, loading.signal).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      getLoanCoverage(loanId, { from, to, points: COVERAGE_POINTS }, loading.signal).catch(
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
    ]);
    if (loading.signal.aborted) return;
    this.loading = null;
    if (!collateral.ok) {
      const notFound = collateral.error instanceof ApiError && collateral.error.status === 404;
      const problem = this.begin('Loan not found', notFound ? `not-found:${loanId}` : 'error');
      problem.append(
        message(
          notFound
            ? 'This loan was not found: it does not exist, or it belongs to a branch you cannot see. Ask the loan’s branch for it.'
            : `Cannot read the loan’s collateral: ${String(collateral.error)}`,
          'alert',
          notFound ? 'loan-not-found' : 'loan-error',
        ),
      );
      this.focusHeading();
      return;
    }
    this.render(collateral.value, coverage, at, focus);
  }

  private render(
    collateral: LoanCollateral,
    coverage: CoverageSeries | Error,
    at: Date | null,
    focus: 'heading' | 'valued-at',
  ): void {
    const body = this.begin(`Loan ${collateral.reference}`, collateral.reference);
    this.element.dataset['loanReference'] = collateral.reference;
    // The moment valued: the same figures are `GET /api/loans/{id}/collateral?at=` this.
    this.element.dataset['at'] = collateral.at;
    body.append(this.valuedAt(collateral.loanId, at), this.header(collateral, at));
    this.appendCoverage(body, collateral, coverage);
    body.append(
      parcelTable(collateral, (subject) => this.options.zoomTo(subject)),
      herdTable(collateral, (subject) => this.options.zoomTo(subject)),
      reportForm(collateral.loanId, collateral.reference, this.now),
    );
    if (focus === 'heading') this.focusHeading();
    else this.element.querySelector<HTMLInputElement>('input[name=valued-at]')?.focus();
  }

  /** "Valued at": a day (today by default); changing it values everything again at its end. */
  private valuedAt(loanId: string, at: Date | null): HTMLElement {
    const form = document.createElement('form');
    form.className = 'loan-valued-at';
    form.noValidate = true;
    const label = document.createElement('label');
    label.textContent = 'Valued at ';
    const input = document.createElement('input');
    input.type = 'date';
    input.name = 'valued-at';
    input.value = toDateInputValue(at ?? this.now());
    input.max = toDateInputValue(this.now());
    const problem = document.createElement('span');
    problem.className = 'loan-valued-at-problem';
    problem.id = 'loan-valued-at-problem';
    problem.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', problem.id);
    input.addEventListener('change', () => {
      const moment = readValuationMoment(input.value, this.now());
      if (!(moment instanceof Date)) {
        problem.textContent = moment.message;
        input.setAttribute('aria-invalid', 'true');
        return;
      }
      const today = toDateInputValue(this.now()) === input.value;
      void this.load(loanId, today ? null : moment, 'valued-at');
    });
    form.addEventListener('submit', (event) => event.preventDefault());
    label.append(input);
    form.append(label, ' ', problem);
    return form;
  }

  private header(collateral: LoanCollateral, at: Date | null): HTMLElement {
    const facts = document.createElement('dl');
    facts.className = 'loan-facts';
    const fact = (term: string, value: string | Node): HTMLElement => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.append(value);
      facts.append(dt, dd);
      return dd;
    };
    const money = (n: number): string => formatMoney(n, collateral.currency);
    fact('borrower', collateral.borrowerName);
    fact(
      'balance',
      `${money(collateral.balance)} (${collateral.currency}, since ${collateral.balanceAsOf.slice(0, 10)})`,
    ).dataset['balance'] = String(collateral.balance);
    fact(
      'collateral',
      `${money(collateral.totalValue)} = crop ${money(collateral.cropValue)} + herd ${money(collateral.herdValue)}`,
    ).dataset['totalValue'] = String(collateral.totalValue);
    const look = coverageAppearance(collateral.coverageRatio);
    const badge = document.createElement('span');
    badge.className = `coverage-badge coverage-${look.level}`;
    badge.style.background = look.color;
    badge.style.color = look.textColor;
    badge.dataset['ratio'] = String(collateral.coverageRatio);
    badge.dataset['level'] = look.level;
    badge.textContent = look.text;
    fact(at === null ? 'coverage now' : `coverage on ${toDateInputValue(at)}`, badge);
    if (collateral.unvalued.length > 0)
      fact('not valued', collateral.unvalued.join(', ')).classList.add('unvalued');
    return facts;
  }

  /** The coverage ratio and the value split over the last 90 days, with a summary in words. */
  private appendCoverage(
    body: HTMLElement,
    collateral: LoanCollateral,
    coverage: CoverageSeries | Error,
  ): void {
    const heading = document.createElement('h3');
    heading.textContent = `Coverage over ${COVERAGE_DAYS} days`;
    body.append(heading);
    if (coverage instanceof Error || coverage.points.length === 0) {
      body.append(
        message(
          coverage instanceof Error
            ? `No coverage history: ${coverage.message}`
            : 'No coverage history for this period.',
          'note',
        ),
      );
      return;
    }
    const times = coverage.points.map((p) => p.at);
    const ratios = coverage.points.map((p) => p.coverageRatio);
    body.append(message(coverageSummary(coverage), 'note', 'coverage-summary'));
    const highest = Math.max(COVERAGE_WARNING_BELOW, ...ratios.map((r) => r ?? 0));
    const ratioBox = chartBox(
      `Coverage ratio of ${collateral.reference} over ${COVERAGE_DAYS} days, against the thresholds ${COVERAGE_WARNING_BELOW} and ${COVERAGE_CRITICAL_BELOW}`,
      'coverage-chart',
    );
    const valueBox = chartBox(
      `Collateral value of ${collateral.reference} in thousands of ${coverage.currency}, split in crop and herd, against the balance`,
      'value-chart',
    );
    body.append(ratioBox, valueBox);
    const thousands = (n: number): number => Math.round(n / 10) / 100;
    this.charts.push(
      drawTimeChart(
        ratioBox,
        times,
        [
          { label: 'coverage', color: '#0072B2', values: ratios },
          {
            label: `warning < ${COVERAGE_WARNING_BELOW}`,
            color: severityAppearance('warning').color,
            values: times.map(() => COVERAGE_WARNING_BELOW),
            dash: [6, 4],
          },
          {
            label: `critical < ${COVERAGE_CRITICAL_BELOW}`,
            color: severityAppearance('critical').color,
            values: times.map(() => COVERAGE_CRITICAL_BELOW),
            dash: [2, 3],
          },
        ],
        { yLabel: '× balance', yRange: [0, Math.ceil(highest * 11) / 10] },
      ),
      drawTimeChart(
        valueBox,
        times,
        [
          {
            label: 'crop',
            color: '#009E73',
            values: coverage.points.map((p) => thousands(p.cropValue)),
          },
          {
            label: 'herd',
            color: '#CC79A7',
            values: coverage.points.map((p) => thousands(p.herdValue)),
          },
          {
            label: 'balance',
            color: '#000000',
            values: coverage.points.map((p) => thousands(p.balance)),
            dash: [6, 4],
            stepped: true,
          },
        ],
        { yLabel: `k${coverage.currency}` },
      ),
    );
  }

  private begin(title: string, showing: string): HTMLElement {
    this.destroyCharts();
    this.showing = showing;
    delete this.element.dataset['loanReference'];
    delete this.element.dataset['at'];
    const heading = document.createElement('h2');
    heading.tabIndex = -1;
    heading.id = 'loan-heading';
    const text = document.createElement('span');
    text.textContent = title;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'details-close';
    close.textContent = '✕';
    close.setAttribute('aria-label', 'Close the loan (Escape)');
    close.addEventListener('click', () => this.close());
    heading.append(text, close);
    const body = document.createElement('div');
    body.className = 'loan-body';
    this.element.setAttribute('aria-labelledby', heading.id);
    this.element.replaceChildren(heading, body);
    this.element.hidden = false;
    return body;
  }

  private focusHeading(): void {
    const heading = this.element.querySelector<HTMLElement>('#loan-heading');
    heading?.focus();
    heading?.scrollIntoView({ block: 'nearest' });
  }

  private destroyCharts(): void {
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
  }
}

/** The lowest and the latest ratio in words: the chart is not the only way to read it. */
function coverageSummary(coverage: CoverageSeries): string {
  const valued = coverage.points.filter((p) => p.coverageRatio !== null);
  const latest = valued.at(-1);
  if (latest === undefined) return 'No balance outstanding in this period.';
  const lowest = valued.reduce((low, p) => (p.coverageRatio! < low.coverageRatio! ? p : low));
  return `Lowest ${formatRatio(lowest.coverageRatio!)} on ${lowest.at.slice(0, 10)}; ${formatRatio(latest.coverageRatio!)} at the end, on ${latest.at.slice(0, 10)}.`;
}

function chartBox(label: string, name: string): HTMLElement {
  const box = document.createElement('div');
  box.className = `chart ${name}`;
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', label);
  return box;
}

function message(text: string, role: 'status' | 'alert' | 'note', className?: string): HTMLElement {
  const p = document.createElement('p');
  p.className = className ?? 'details-note';
  if (role !== 'note') p.setAttribute('role', role);
  p.textContent = text;
  return p;
}
