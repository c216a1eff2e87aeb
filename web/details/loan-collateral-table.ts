import type { CollateralHerd, CollateralParcel, LoanCollateral } from '../api.ts';
import { parcelStatusOf, statusAppearance } from '../style/parcel-status.ts';
import { formatHectares, formatMoney, valueText } from './loan-format.ts';

/** A pledged parcel or herd that the map can zoom to. */
export interface CollateralSubject {
  readonly type: 'parcel' | 'herd';
  readonly id: string;
  readonly code: string;
  readonly farmId: string;
}

/** Called when a row is chosen (click, or Enter/Space on its button). */
export type ChooseSubject = (subject: CollateralSubject) => void;

/**
 * The loan's pledged parcels: code, declared against observed crop, declared against planted
 * area, the satellite status and the value (or why there is none). Each row's code is a button
 * (in the tab order) that zooms the map to the parcel; a click anywhere on the row does too.
 */
export function parcelTable(collateral: LoanCollateral, choose: ChooseSubject): HTMLElement {
  return table(
    `Pledged parcels (${collateral.parcels.length})`,
    ['Parcel', 'Crop declared / observed', 'Area declared / planted', 'Status', 'Value'],
    collateral.parcels.map((parcel) =>
      row(
        { type: 'parcel', id: parcel.parcelId, code: parcel.code, farmId: parcel.farmId },
        [
          cropCell(parcel),
          cell(
            `${formatHectares(parcel.declaredAreaM2)} / ${formatHectares(
              parcel.latestObservation?.plantedAreaM2 ?? null,
            )}`,
          ),
          statusCell(parcel),
          valueCell(
            parcel.value,
            valueText(parcel.value, parcel.unvaluedReason, collateral.currency),
            parcel.value === null
              ? null
              : `on ${formatHectares(parcel.valuedAreaM2)} ${parcel.areaSource}`,
          ),
        ],
        choose,
      ),
    ),
    'No pledged parcel is in season at this moment: a crop is collateral until its season ends.',
  );
}

/** The loan's pledged herds: pledged against counted head, missing tags and the value. */
export function herdTable(collateral: LoanCollateral, choose: ChooseSubject): HTMLElement {
  return table(
    `Pledged herds (${collateral.herds.length})`,
    ['Herd', 'Head pledged / counted', 'Missing tags', 'Value'],
    collateral.herds.map((herd) =>
      row(
        { type: 'herd', id: herd.herdId, code: herd.code, farmId: herd.farmId },
        [
          headCell(herd),
          cell(String(herd.missingTags.length), 'missing-tags'),
          valueCell(
            herd.value,
            valueText(herd.value, herd.unvaluedReason, collateral.currency),
            herd.value === null || herd.valuePerHead === null
              ? null
              : `${herd.countedHeadCount} head × ${formatMoney(herd.valuePerHead, collateral.currency)}`,
          ),
        ],
        choose,
      ),
    ),
    'No herd is pledged to this loan.',
  );
}

function table(
  caption: string,
  headings: readonly string[],
  rows: readonly HTMLTableRowElement[],
  empty: string,
): HTMLElement {
  const box = document.createElement('div');
  box.className = 'loan-table-box';
  const element = document.createElement('table');
  element.className = 'loan-table';
  const captionElement = element.createCaption();
  captionElement.textContent = caption;
  const headRow = element.createTHead().insertRow();
  for (const heading of headings) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = heading;
    headRow.append(th);
  }
  const body = element.createTBody();
  body.append(...rows);
  if (rows.length === 0) {
    const note = body.insertRow().insertCell();
    note.colSpan = headings.length;
    note.className = 'loan-table-empty';
    note.textContent = empty;
  }
  box.append(element);
  return box;
}

function row(
  subject: CollateralSubject,
  cells: readonly HTMLTableCellElement[],
  choose: ChooseSubject,
): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset['subjectType'] = subject.type;
  tr.dataset['subjectId'] = subject.id;
  tr.dataset['code'] = subject.code;
  const th = document.createElement('th');
  th.scope = 'row';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'loan-subject';
  button.textContent = subject.code;
  button.setAttribute('aria-label', `Show ${subject.type} ${subject.code} on the map`);
  button.addEventListener('click', () => choose(subject));
  th.append(button);
  tr.append(th, ...cells);
  // The whole row answers a click; the button is what the keyboard reaches.
  tr.addEventListener('click', (event) => {
    if (!(event.target instanceof Node && button.contains(event.target))) choose(subject);
  });
  return tr;
}

function cell(text: string, name?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (name !== undefined) td.dataset['cell'] = name;
  return td;
}

function withNote(td: HTMLTableCellElement, note: string | null): HTMLTableCellElement {
  if (note !== null) {
    const small = document.createElement('small');
    small.textContent = note;
    td.append(document.createElement('br'), small);
  }
  return td;
}

function cropCell(parcel: CollateralParcel): HTMLTableCellElement {
  const observation = parcel.latestObservation;
  const observed =
    observation?.predictedCropName == null
      ? '—'
      : `${observation.predictedCropName}${
          observation.predictedConfidence === null
            ? ''
            : ` (${Math.round(observation.predictedConfidence * 100)} %)`
        }`;
  return cell(`${parcel.declaredCropName ?? '—'} / ${observed}`, 'crop');
}

function statusCell(parcel: CollateralParcel): HTMLTableCellElement {
  const look = statusAppearance(parcelStatusOf({ status: parcel.status ?? undefined }));
  const td = cell(`${look.mark} ${look.label}`, 'status');
  td.dataset['status'] = parcel.status ?? 'none';
  return withNote(td, parcel.statusReason);
}

function headCell(herd: CollateralHerd): HTMLTableCellElement {
  const short = herd.pledgedHeadCount - herd.countedHeadCount;
  const td = cell(
    `${herd.pledgedHeadCount} / ${herd.countedHeadCount}${short > 0 ? ` ! ${short} short` : ' ✓'}`,
    'head',
  );
  td.dataset['pledged'] = String(herd.pledgedHeadCount);
  td.dataset['counted'] = String(herd.countedHeadCount);
  return td;
}

function valueCell(value: number | null, text: string, note: string | null): HTMLTableCellElement {
  const td = cell(text, 'value');
  td.dataset['value'] = value === null ? 'none' : String(value);
  if (value === null) td.classList.add('unvalued');
  return withNote(td, note);
}
