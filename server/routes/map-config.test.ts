import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { toMapConfig } from './map-config.ts';

describe('the map configuration', () => {
  it('has no basemap by default: the map makes no request outside the service', () => {
    expect(toMapConfig(loadConfig({}))).toEqual({ basemap: null });
  });

  it('reads an XYZ template', () => {
    const config = loadConfig({
      PW_MAP_BASEMAP_URL: 'https://tiles.example/{z}/{x}/{y}.png',
      PW_MAP_BASEMAP_ATTRIBUTION: '© Example',
    });
    expect(toMapConfig(config)).toEqual({
      basemap: {
        type: 'xyz',
        url: 'https://tiles.example/{z}/{x}/{y}.png',
        attribution: '© Example',
      },
    });
  });

  it('reads a WMTS capabilities URL with its layer, and refuses WMTS without a layer', () => {
    const config = loadConfig({
      PW_MAP_BASEMAP_URL: 'https://wmts.example/1.0.0/WMTSCapabilities.xml',
      PW_MAP_BASEMAP_TYPE: 'wmts',
      PW_MAP_BASEMAP_LAYER: 'grb_bsk_grijs',
    });
    expect(toMapConfig(config).basemap).toMatchObject({ type: 'wmts', layer: 'grb_bsk_grijs' });
    expect(() =>
      loadConfig({
        PW_MAP_BASEMAP_URL: 'https://wmts.example/1.0.0/WMTSCapabilities.xml',
        PW_MAP_BASEMAP_TYPE: 'wmts',
      }),
    ).toThrow(ConfigError);
    expect(() => loadConfig({ PW_MAP_BASEMAP_URL: 'ftp://tiles.example/x' })).toThrow(
      /PW_MAP_BASEMAP_URL/,
    );
  });
});

describe('the basemap URL when the configuration is printed', () => {
  it('masks keys in its query and credentials, and keeps the template readable', () => {
    const config = loadConfig({
      PW_MAP_BASEMAP_URL: 'https://user:pw@tiles.example/{z}/{x}/{y}.png?style=grey&key=s3cret',
    });
    expect(redactConfig(config).map.basemapUrl).toBe(
      'https://***@tiles.example/{z}/{x}/{y}.png?style=***&key=***',
    );
  });
});
