import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';
import type { FeatureLike } from 'ol/Feature.js';

const fill = new Fill({ color: 'rgba(46, 125, 50, 0.12)' });
const stroke = new Stroke({ color: '#2e7d32', width: 2 });

/** Farm boundaries (the livestock geofences), labelled with the farm's name. */
export function farmStyle(feature: FeatureLike): Style {
  return new Style({
    fill,
    stroke,
    text: new Text({
      text: String(feature.get('name') ?? ''),
      font: '600 13px system-ui, sans-serif',
      fill: new Fill({ color: '#1d2733' }),
      stroke: new Stroke({ color: '#fff', width: 3 }),
      overflow: true,
    }),
  });
}
