/**
 * The report's map of a loan's farms as inline SVG: farm boundaries, parcels filled by their
 * status (colour, pattern, outline and mark, as on the web map), each pledged animal's latest
 * fix (a dot inside the fence, a crossed ring outside), a legend, a scale bar and north.
 *
 * The farms' own lng/lat are projected to local metres (equirectangular about the centre of the
 * drawing: over a few kilometres its distortion is far below a pixel), so the scale bar is true.
 */
import type { LngLat, MultiPolygon, Polygon, Position } from '../../geo/index.ts';
import { escapeHtml, formatNumber } from './format.ts';
import {
  parcelStatusStyles,
  patternTileSvg,
  reportParcelStatuses,
  reportStatusOf,
} from './parcel-status-palette.ts';
import type { ReportData } from './types.ts';

const earthRadiusM = 6_371_008.8;
const font = 'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif"';
const insideColor = '#0072B2';
const outsideColor = '#D55E00';
const width = 700;
const mapWidth = 500;
const pad = 18;

interface Projection {
  readonly project: (p: Position | LngLat) => readonly [number, number];
  readonly metresPerPx: number;
  readonly height: number;
}

/**
 * The farms of `data` as one `<svg>`; a report with nothing to place says so in the figure.
 * @example farmMapSvg(buildSampleReport()) // '<svg ...>…</svg>'
 */
export function farmMapSvg(data: ReportData): string {
  const positions = [
    ...data.farms.flatMap((f) => positionsOf(f.boundary)),
    ...data.parcels.flatMap((p) => positionsOf(p.geometry)),
    ...data.herds.flatMap((h) => h.positions.map((p) => p.lngLat)),
  ].filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  const title = `Map of the farms of loan ${data.loan.reference}`;
  if (positions.length === 0) {
    return `<svg class="map" role="img" viewBox="0 0 ${width} 80" width="${width}" height="80" ${font} font-size="11"><title>${escapeHtml(title)}</title><rect width="${width}" height="80" fill="#f7f7f2"/><text x="${width / 2}" y="44" text-anchor="middle" fill="#444">No farm, parcel or animal position to draw.</text></svg>`;
  }
  const projection = projectionFor(positions);
  const { project } = projection;
  const height = projection.height;
  const parts: string[] = [
    `<svg class="map" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${font} font-size="10"><title>${escapeHtml(title)}</title>`,
    '<defs>',
  ];
  for (const status of reportParcelStatuses) {
    const tile = patternTileSvg(parcelStatusStyles[status]);
    if (tile !== null) {
      parts.push(
        `<pattern id="pw-map-${status}" patternUnits="userSpaceOnUse" width="12" height="12">${tile}</pattern>`,
      );
    }
  }
  parts.push(
    '</defs>',
    `<rect x="0" y="0" width="${mapWidth}" height="${height}" fill="#f4f4ee" stroke="#999" stroke-width="0.8"/>`,
  );

  for (const farm of data.farms) {
    parts.push(
      `<path d="${pathOf(farm.boundary, project)}" fill="#fdfdf9" fill-rule="evenodd" stroke="#333" stroke-width="1.6"/>`,
    );
  }
  for (const parcel of data.parcels) {
    const status = reportStatusOf(parcel.status);
    const style = parcelStatusStyles[status];
    const d = pathOf(parcel.geometry, project);
    const dash = style.lineDash.length > 0 ? ` stroke-dasharray="${style.lineDash.join(' ')}"` : '';
    parts.push(
      `<path d="${d}" fill="${style.color}" fill-opacity="0.22" fill-rule="evenodd" stroke="${style.color}" stroke-width="1.8"${dash}/>`,
    );
    if (patternTileSvg(style) !== null) {
      parts.push(
        `<path d="${d}" fill="url(#pw-map-${status})" fill-rule="evenodd" stroke="none"/>`,
      );
    }
  }
  for (const parcel of data.parcels) {
    const style = parcelStatusStyles[reportStatusOf(parcel.status)];
    const [cx, cy] = labelPoint(parcel.geometry, project);
    parts.push(haloText(cx, cy, `${style.mark} ${parcel.code}`, 'middle', 10, '#111'));
  }
  for (const farm of data.farms) {
    const box = boxOf(positionsOf(farm.boundary).map(project));
    parts.push(
      haloText(
        box.minX + 4,
        box.minY - 5,
        `${farm.code} ${farm.name}`,
        'start',
        11,
        '#111',
        'bold',
      ),
    );
  }
  for (const herd of data.herds) {
    for (const p of herd.positions) {
      const [x, y] = project(p.lngLat);
      parts.push(p.inside ? insideMark(x, y) : outsideMark(x, y));
    }
  }
  parts.push(scaleBar(projection), northArrow(height), legend(data, height));
  parts.push('</svg>');
  return parts.join('');
}

function positionsOf(geometry: Polygon | MultiPolygon): Position[] {
  return geometry.type === 'Polygon' ? geometry.coordinates.flat() : geometry.coordinates.flat(2);
}

function projectionFor(positions: ReadonlyArray<Position | LngLat>): Projection {
  const lngs = positions.map((p) => p[0]);
  const lats = positions.map((p) => p[1]);
  const lng0 = (Math.min(...lngs) + Math.max(...lngs)) / 2;
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
  const kx = ((Math.PI * earthRadiusM) / 180) * Math.cos((lat0 * Math.PI) / 180);
  const ky = (Math.PI * earthRadiusM) / 180;
  const xs = lngs.map((l) => (l - lng0) * kx);
  const ys = lats.map((l) => (l - lat0) * ky);
  // At least 200 m across, so a single point or a tiny parcel is not blown up to the frame.
  const spanX = Math.max(Math.max(...xs) - Math.min(...xs), 200);
  const spanY = Math.max(Math.max(...ys) - Math.min(...ys), 200);
  const innerW = mapWidth - 2 * pad;
  const height = Math.round(Math.min(520, Math.max(280, (innerW * spanY) / spanX + 2 * pad + 24)));
  const innerH = height - 2 * pad - 24;
  const metresPerPx = Math.max(spanX / innerW, spanY / innerH);
  const cx = mapWidth / 2;
  const cy = pad + 12 + innerH / 2;
  return {
    metresPerPx,
    height,
    project: (p) => [
      Math.round((cx + ((p[0] - lng0) * kx) / metresPerPx) * 10) / 10,
      Math.round((cy - ((p[1] - lat0) * ky) / metresPerPx) * 10) / 10,
    ],
  };
}

function pathOf(geometry: Polygon | MultiPolygon, project: Projection['project']): string {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polygons
    .flatMap((rings) =>
      rings.map(
        (ring) =>
          ring
            .map((p, i) => {
              const [x, y] = project(p);
              return `${i === 0 ? 'M' : 'L'}${x} ${y}`;
            })
            .join('') + 'Z',
      ),
    )
    .join('');
}

function boxOf(points: ReadonlyArray<readonly [number, number]>): {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
} {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return {
    minX: Math.min(...xs),
    minY: Math.min(...ys),
    maxX: Math.max(...xs),
    maxY: Math.max(...ys),
  };
}

/** The middle of the largest polygon's exterior ring's box: good enough for field-shaped parcels. */
function labelPoint(
  geometry: Polygon | MultiPolygon,
  project: Projection['project'],
): readonly [number, number] {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best: readonly [number, number] = [0, 0];
  let bestArea = -1;
  for (const rings of polygons) {
    const box = boxOf((rings[0] ?? []).map(project));
    const area = (box.maxX - box.minX) * (box.maxY - box.minY);
    if (area > bestArea) {
      bestArea = area;
      best = [(box.minX + box.maxX) / 2, (box.minY + box.maxY) / 2 + 3.5];
    }
  }
  return best;
}

function haloText(
  x: number,
  y: number,
  text: string,
  anchor: 'start' | 'middle',
  size: number,
  color: string,
  weight = 'normal',
): string {
  return `<text x="${Math.round(x)}" y="${Math.round(y)}" text-anchor="${anchor}" font-size="${size}" font-weight="${weight}" fill="${color}" stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">${escapeHtml(text)}</text>`;
}

function insideMark(x: number, y: number): string {
  return `<circle cx="${x}" cy="${y}" r="3.2" fill="${insideColor}" stroke="#fff" stroke-width="0.8"/>`;
}

/** A ring with a cross: a different shape and colour from the dots, readable in greyscale. */
function outsideMark(x: number, y: number): string {
  const r = 5;
  const k = 3.2;
  return `<g stroke="${outsideColor}" stroke-width="1.8"><circle cx="${x}" cy="${y}" r="${r}" fill="#fff"/><path d="M${x - k} ${y - k}L${x + k} ${y + k}M${x + k} ${y - k}L${x - k} ${y + k}"/></g>`;
}

/** A bar of a round length (1, 2 or 5 x 10^n m) near a fifth of the map's width. */
function scaleBar(projection: Projection): string {
  const target = (mapWidth / 5) * projection.metresPerPx;
  const power = 10 ** Math.floor(Math.log10(target));
  const lengthM = ([5, 2, 1].find((m) => m * power <= target) ?? 1) * power;
  const lengthPx = Math.round((lengthM / projection.metresPerPx) * 10) / 10;
  const x = 14;
  const y = projection.height - 16;
  const label =
    lengthM >= 1000 ? `${formatNumber(lengthM / 1000)} km` : `${formatNumber(lengthM)} m`;
  return [
    `<rect x="${x - 4}" y="${y - 16}" width="${lengthPx + 8}" height="24" fill="#fff" fill-opacity="0.8"/>`,
    `<path d="M${x} ${y - 4}V${y}H${x + lengthPx}V${y - 4}" fill="none" stroke="#222" stroke-width="1.4"/>`,
    `<rect x="${x}" y="${y - 2}" width="${lengthPx / 2}" height="2" fill="#222"/>`,
    `<text x="${x + lengthPx / 2}" y="${y - 6}" text-anchor="middle" fill="#222">${label}</text>`,
  ].join('');
}

/** Bottom right, where the farms' labels and fences rarely are. */
function northArrow(height: number): string {
  const x = mapWidth - 20;
  const y = height - 44;
  return `<path d="M${x} ${y}L${x + 6} ${y + 16}L${x} ${y + 12}L${x - 6} ${y + 16}Z" fill="#222"/><text x="${x}" y="${y + 28}" text-anchor="middle" font-weight="bold" fill="#222">N</text>`;
}

function legend(data: ReportData, height: number): string {
  const x = mapWidth + 14;
  let y = 18;
  const parts: string[] = [
    `<text x="${x}" y="${y}" font-weight="bold" font-size="11" fill="#111">Legend</text>`,
  ];
  y += 18;
  parts.push(
    `<rect x="${x}" y="${y - 9}" width="22" height="12" fill="#fdfdf9" stroke="#333" stroke-width="1.6"/>`,
    `<text x="${x + 30}" y="${y + 1}" fill="#222">farm boundary (herd fence)</text>`,
  );
  y += 20;
  parts.push(`<text x="${x}" y="${y}" fill="#555">Parcels, by status:</text>`);
  y += 14;
  for (const status of reportParcelStatuses) {
    const style = parcelStatusStyles[status];
    const count = data.parcels.filter((p) => reportStatusOf(p.status) === status).length;
    const dash = style.lineDash.length > 0 ? ` stroke-dasharray="${style.lineDash.join(' ')}"` : '';
    parts.push(
      `<rect x="${x}" y="${y - 9}" width="22" height="12" fill="${style.color}" fill-opacity="0.22" stroke="${style.color}" stroke-width="1.6"${dash}/>`,
    );
    if (patternTileSvg(style) !== null) {
      parts.push(
        `<rect x="${x}" y="${y - 9}" width="22" height="12" fill="url(#pw-map-${status})"/>`,
      );
    }
    parts.push(
      `<text x="${x + 30}" y="${y + 1}" fill="#222">${escapeHtml(`${style.mark} ${style.label} (${count})`)}</text>`,
    );
    y += 18;
  }
  const fixes = data.herds.flatMap((h) => h.positions);
  const inside = fixes.filter((p) => p.inside).length;
  y += 6;
  parts.push(`<text x="${x}" y="${y}" fill="#555">Animals, latest fix:</text>`);
  y += 16;
  parts.push(
    insideMark(x + 11, y - 3),
    `<text x="${x + 30}" y="${y + 1}" fill="#222">inside the fence (${inside})</text>`,
  );
  y += 18;
  parts.push(
    outsideMark(x + 11, y - 3),
    `<text x="${x + 30}" y="${y + 1}" fill="#222">outside the fence (${fixes.length - inside})</text>`,
  );
  if (y + 20 < height) {
    parts.push(
      `<text x="${x}" y="${height - 10}" fill="#777" font-size="9">Local projection, metres; north up</text>`,
    );
  }
  return parts.join('');
}
