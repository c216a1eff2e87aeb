import { describe, expect, it } from 'vitest';
import { redactSource } from './redact-source.ts';

describe('redactSource', () => {
  it('masks passwords and query values of URLs, and leaves paths alone', () => {
    expect(redactSource('https://u:secret@stac.example/catalog.json?token=abc&x=1')).toBe(
      'https://u:***@stac.example/catalog.json?token=***&x=***',
    );
    expect(redactSource('/data/demo-scenes/catalog.json')).toBe('/data/demo-scenes/catalog.json');
  });
});
