import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

const pglite = testBackends.find((b) => b.name === 'pglite');

describe('the OpenAPI document', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    if (pglite === undefined) throw new Error('pglite backend missing');
    h = await createApiHarness(pglite);
  });
  afterAll(async () => {
    await h.close();
  });

  it('is served without signing in, as OpenAPI 3.1, and documents the resources', async () => {
    const response = await h.call(null, 'GET', '/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = response.body as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/borrowers', '/borrowers/{id}']),
    );
    expect(Object.keys(doc.paths['/borrowers/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    expect(doc.components.schemas).toHaveProperty('Borrower');
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.securitySchemes).toHaveProperty('apiKey');
    // Every operation documents the error envelope answers.
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['400', '401', '404']),
        );
      }
    }
  });

  it('has a readable docs page that loads no asset from outside the service', async () => {
    const page = await h.app.request('/api/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/api/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const asset = await h.app.request('/api/docs/assets/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
  });
});
