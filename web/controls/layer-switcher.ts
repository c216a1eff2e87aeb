import Control from 'ol/control/Control.js';
import type BaseLayer from 'ol/layer/Base.js';

/** A checkbox per titled layer (the `title` property), top first, that shows or hides it. */
export class LayerSwitcher extends Control {
  private readonly list: HTMLUListElement;

  constructor() {
    const element = document.createElement('fieldset');
    element.className = 'layer-switcher ol-unselectable ol-control';
    const legend = document.createElement('legend');
    legend.textContent = 'Layers';
    const list = document.createElement('ul');
    element.append(legend, list);
    super({ element });
    this.list = list;
  }

  /** Lists `layers` (call again after adding one). */
  showLayers(layers: readonly BaseLayer[]): void {
    this.list.replaceChildren();
    for (const layer of [...layers].reverse()) {
      const title = layer.get('title') as string | undefined;
      if (title === undefined) continue;
      const item = document.createElement('li');
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = layer.getVisible();
      box.dataset['layer'] = String(layer.get('name') ?? title);
      box.addEventListener('change', () => layer.setVisible(box.checked));
      layer.on('change:visible', () => {
        box.checked = layer.getVisible();
      });
      label.append(box, ` ${title}`);
      item.append(label);
      this.list.append(item);
    }
  }
}
