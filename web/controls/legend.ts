import Control from 'ol/control/Control.js';
import { herdCountAppearance } from '../style/herd-style.ts';
import { parcelStatuses, patternSvg, statusAppearance } from '../style/parcel-status.ts';
import { withAlpha } from '../style/parcel-style.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * What the colours, patterns and marks mean: the parcel statuses (with the same pattern tiles
 * the map draws), the herd symbols and the farm boundary.
 */
export class Legend extends Control {
  /** `target`: an element outside the map to render into (e.g. the side panel), so the legend covers no farm. */
  constructor(options: { target?: HTMLElement } = {}) {
    const element = document.createElement('section');
    element.className = 'legend ol-unselectable ol-control';
    element.setAttribute('aria-label', 'Legend');
    const heading = document.createElement('h2');
    heading.textContent = 'Legend';
    const list = document.createElement('ul');
    for (const status of parcelStatuses) {
      const appearance = statusAppearance(status);
      list.append(entry(parcelSwatch(status), `${appearance.mark} parcel: ${appearance.label}`));
    }
    for (const appearance of Object.values(herdCountAppearance)) {
      list.append(
        entry(herdSwatch(appearance.color, appearance.mark), `herd: ${appearance.label}`),
      );
    }
    list.append(entry(farmSwatch(), 'farm boundary (geofence)'));
    element.append(heading, list);
    super({ element, ...(options.target === undefined ? {} : { target: options.target }) });
    if (options.target !== undefined) element.classList.remove('ol-control');
  }
}

function entry(swatch: SVGSVGElement, text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.append(swatch, document.createTextNode(text));
  return item;
}

function svg(): SVGSVGElement {
  const element = document.createElementNS(SVG_NS, 'svg');
  element.setAttribute('width', '24');
  element.setAttribute('height', '16');
  element.setAttribute('viewBox', '0 0 24 16');
  element.setAttribute('aria-hidden', 'true');
  return element;
}

function parcelSwatch(status: Parameters<typeof statusAppearance>[0]): SVGSVGElement {
  const appearance = statusAppearance(status);
  const element = svg();
  const tile = patternSvg(appearance);
  const tint = appearance.pattern === 'none' ? 0.08 : 0.22;
  let patternFill = '';
  if (tile !== null) {
    // The same 12 px tile the map repeats, as an SVG pattern.
    const inner = tile.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '');
    patternFill = `<defs><pattern id="legend-${status}" width="12" height="12" patternUnits="userSpaceOnUse">${inner}</pattern></defs>
      <rect x="1" y="1" width="22" height="14" fill="url(#legend-${status})"/>`;
  }
  element.innerHTML = `<rect x="1" y="1" width="22" height="14" fill="${withAlpha(appearance.color, tint)}"/>${patternFill}
    <rect x="1" y="1" width="22" height="14" fill="none" stroke="${appearance.color}" stroke-width="2" stroke-dasharray="${appearance.lineDash.join(' ')}"/>`;
  return element;
}

function herdSwatch(color: string, mark: string): SVGSVGElement {
  const element = svg();
  element.innerHTML = `<circle cx="12" cy="8" r="7" fill="${color}" stroke="#fff" stroke-width="1.5"/>
    <text x="12" y="11.5" font-size="10" font-weight="bold" text-anchor="middle" fill="#fff">${mark}</text>`;
  return element;
}

function farmSwatch(): SVGSVGElement {
  const element = svg();
  element.innerHTML = `<rect x="1" y="1" width="22" height="14" fill="rgba(46, 125, 50, 0.12)" stroke="#2e7d32" stroke-width="2"/>`;
  return element;
}
