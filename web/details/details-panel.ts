import type uPlot from 'uplot';
import type {
  Herd,
  HerdCounts,
  HerdStateSummary,
  ParcelObservations,
  ParcelStatusProperties,
} from '../../server/api-types.ts';
import { getJson } from '../api.ts';
import { drawTimeChart } from '../charts/time-chart.ts';

const DAY_MS = 86_400_000;

/** What the panel shows of a parcel from the map (the status comes from the satellite check). */
export interface ParcelSummary {
  readonly id: string;
  readonly code: string;
  readonly declaredCropName: string | null;
  readonly declaredAreaM2: number | null;
  readonly areaM2: number;
  /** The loan the parcel is pledged to, if any. */
  readonly loanId?: string | null;
}

export interface DetailsPanelOptions {
  /** Where a pledged item's "Loan" link goes (the loan's collateral panel); absent: no link. */
  readonly loanLink?: (loanId: string) => { readonly href: string; readonly text: string };
}

/**
 * The details of what was chosen on the map or in the alerts: a parcel's NDVI over the season
 * with its clear observations, declared against predicted crop and declared against planted area
 * (from the satellite check); a herd's head count per hour against the pledge and its missing and
 * outside tags. Charts by uPlot.
 */
export class DetailsPanel {
  private chart: uPlot | null = null;
  /** What is shown now, for the tests: `parcel:<code>` or `herd:<code>`. */
  showing: string | null = null;
  private readonly element: HTMLElement;
  private readonly options: DetailsPanelOptions;

  constructor(element: HTMLElement, options: DetailsPanelOptions = {}) {
    this.element = element;
    this.options = options;
    element.classList.add('details');
    element.hidden = true;
    element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !element.hidden) this.close();
    });
  }

  async showParcel(
    parcel: ParcelSummary,
    status: ParcelStatusProperties | undefined,
  ): Promise<void> {
    const body = this.begin(`Parcel ${parcel.code}`, `parcel:${parcel.code}`);
    const facts = factList();
    facts.add('status', status === undefined ? 'no satellite check yet' : statusText(status));
    facts.add(
      'crop declared / predicted',
      `${parcel.declaredCropName ?? '—'} / ${
        status?.predictedCropName == null
          ? '—'
          : `${status.predictedCropName}${status.predictedConfidence === null ? '' : ` (${Math.round(status.predictedConfidence * 100)} %)`}`
      }`,
    );
    facts.add(
      'area declared / planted',
      `${hectares(parcel.declaredAreaM2)} / ${hectares(status?.plantedAreaM2 ?? null)} (measured ${hectares(parcel.areaM2)})`,
    );
    facts.add('clear observations', String(status?.clearObservations ?? 0));
    body.append(facts.element, ...this.loanLink(parcel.loanId ?? null));
    const observations = await getJson<ParcelObservations>(
      `/api/parcels/${parcel.id}/observations`,
    ).catch(() => null);
    if (this.showing !== `parcel:${parcel.code}`) return;
    if (observations === null || observations.ndviSeries.length === 0) {
      body.append(note('No NDVI series yet: no clear Sentinel-2 observation of this parcel.'));
      return;
    }
    const chartBox = document.createElement('div');
    chartBox.className = 'chart';
    chartBox.setAttribute('aria-label', `NDVI of ${parcel.code} over the season`);
    body.append(chartBox);
    this.chart = drawTimeChart(
      chartBox,
      observations.ndviSeries.map((p) => p.date),
      [
        {
          label: 'NDVI (clear observations)',
          color: '#009E73',
          values: observations.ndviSeries.map((p) => p.ndvi),
          points: true,
        },
      ],
      { yLabel: 'NDVI', yRange: [0, 1] },
    );
    if (observations.markers.length > 0) {
      const list = document.createElement('ul');
      for (const marker of observations.markers) {
        const item = document.createElement('li');
        item.textContent = `${marker.date.slice(0, 10)} ${marker.type.replaceAll('_', ' ')}: ${marker.reason}`;
        list.append(item);
      }
      body.append(list);
    }
  }

  async showHerd(herd: Herd): Promise<void> {
    const body = this.begin(`Herd ${herd.code} · ${herd.name}`, `herd:${herd.code}`);
    const to = new Date();
    const from = new Date(to.getTime() - 7 * DAY_MS);
    const [counts, state] = await Promise.all([
      getJson<HerdCounts>(
        `/api/herds/${herd.id}/counts?from=${from.toISOString()}&to=${to.toISOString()}`,
      ).catch(() => null),
      getJson<HerdStateSummary>(`/api/herds/${herd.id}/state`).catch(() => null),
    ]);
    if (this.showing !== `herd:${herd.code}`) return;
    const facts = factList();
    facts.add('pledged', `${herd.pledgedHeadCount} ${herd.species}`);
    facts.add(
      'counted now',
      state === null ? 'unknown' : `${state.headCount} (short ${state.shortfall})`,
    );
    body.append(facts.element, ...this.loanLink(herd.loanId));
    if (counts !== null) {
      const chartBox = document.createElement('div');
      chartBox.className = 'chart';
      chartBox.setAttribute('aria-label', `Head count of ${herd.code} per hour against the pledge`);
      body.append(chartBox);
      this.chart = drawTimeChart(
        chartBox,
        counts.buckets.map((b) => b.start),
        [
          {
            label: 'counted',
            color: '#0072B2',
            values: counts.buckets.map((b) => b.headCount),
            stepped: true,
          },
          {
            label: 'pledged',
            color: '#000000',
            values: counts.buckets.map(() => counts.pledgedHeadCount),
            dash: [6, 4],
          },
        ],
        { yLabel: 'head', yRange: [0, Math.ceil(counts.pledgedHeadCount * 1.1) + 1] },
      );
    } else body.append(note('No count history available.'));
    if (state !== null) {
      const r = state.reconciliation;
      body.append(
        tagList(
          `Missing tags (${r.missing.length})`,
          r.missing.map((t) => `${t.tagCode} · last seen ${t.lastSeenAt ?? 'never'}`),
        ),
        tagList(
          `Outside the farm (${r.outside.length})`,
          r.outside.map((t) => `${t.tagCode} · ${Math.round(t.distanceM)} m out`),
        ),
        tagList(
          `Silent (${r.silent.length})`,
          r.silent.map((t) => `${t.tagCode} · last seen ${t.lastSeenAt ?? 'never'}`),
        ),
      );
    }
  }

  close(): void {
    this.chart?.destroy();
    this.chart = null;
    this.showing = null;
    this.element.hidden = true;
  }

  /** The pledged item's "Loan" link: its loan's collateral, coverage and report. */
  private loanLink(loanId: string | null): HTMLElement[] {
    if (loanId === null || this.options.loanLink === undefined) return [];
    const { href, text } = this.options.loanLink(loanId);
    const a = document.createElement('a');
    a.className = 'details-loan';
    a.href = href;
    a.textContent = text;
    const p = document.createElement('p');
    p.append(a);
    return [p];
  }

  private begin(title: string, showing: string): HTMLElement {
    this.chart?.destroy();
    this.chart = null;
    this.showing = showing;
    const heading = document.createElement('h2');
    heading.textContent = title;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'details-close';
    close.textContent = '✕';
    close.setAttribute('aria-label', 'Close the details');
    close.addEventListener('click', () => this.close());
    heading.append(close);
    const body = document.createElement('div');
    this.element.replaceChildren(heading, body);
    this.element.hidden = false;
    return body;
  }
}

function statusText(status: ParcelStatusProperties): string {
  const text = status.status.replaceAll('_', ' ');
  return status.reason === null ? text : `${text}: ${status.reason}`;
}

function hectares(areaM2: number | null): string {
  return areaM2 === null ? '—' : `${(areaM2 / 10_000).toFixed(2)} ha`;
}

function note(text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = 'details-note';
  p.textContent = text;
  return p;
}

function factList(): { element: HTMLDListElement; add(term: string, value: string): void } {
  const element = document.createElement('dl');
  return {
    element,
    add(term, value) {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      element.append(dt, dd);
    },
  };
}

function tagList(title: string, lines: readonly string[]): HTMLElement {
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = title;
  const list = document.createElement('ul');
  for (const line of lines.slice(0, 200)) {
    const item = document.createElement('li');
    item.textContent = line;
    list.append(item);
  }
  details.append(summary, list);
  details.open = lines.length > 0 && lines.length <= 10;
  return details;
}
