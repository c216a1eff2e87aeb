import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

interface Problem {
  path: string;
  message: string;
}

describe.each(testBackends)('ear tags API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let krtHerd: string;
  let aalHerd: string;
  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    krtHerd = await h.idOf('herds', 'code', 'H-KRT-02');
    aalHerd = await h.idOf('herds', 'code', 'H-AAL-02');
  });
  afterAll(async () => {
    await h.close();
  });

  const problems = (body: { error: { details: Problem[] } }): Problem[] => body.error.details;
  const tagId = (tagCode: string) => h.idOf('ear_tags', 'tag_code', tagCode);

  it('lists only the caller’s branch; an admin sees all', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/ear-tags?limit=500');
    expect(krt.status).toBe(200);
    expect(krt.body.items).toHaveLength(110);
    expect(new Set(krt.body.items.map((t: { herdId: string }) => t.herdId))).toEqual(
      new Set([krtHerd]),
    );
    expect(krt.body.items[0]).toEqual({
      id: expect.any(String),
      branchId: krtBranch,
      herdId: krtHerd,
      tagCode: '056000379866048',
      boundAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      unboundAt: null,
    });
    const aal = await h.call('aalOfficer', 'GET', '/api/ear-tags?limit=500');
    expect(aal.body.items).toHaveLength(43);
    expect((await h.call('admin', 'GET', '/api/ear-tags?limit=500')).body.items).toHaveLength(153);
  });

  it('pages through all tags with a cursor, in tag-code order, without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: Array<{ tagCode: string }>; nextCursor: string | null } } =
        await h.call(
          'admin',
          'GET',
          `/api/ear-tags?limit=50${cursor === null ? '' : `&cursor=${cursor}`}`,
        );
      seen.push(...page.body.items.map((t) => t.tagCode));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(153);
    expect(new Set(seen).size).toBe(153);
    expect(seen).toEqual([...seen].sort());
  });

  it('filters by herd and searches the tag code', async () => {
    const byHerd = await h.call('admin', 'GET', `/api/ear-tags?herdId=${aalHerd}&limit=500`);
    expect(byHerd.body.items).toHaveLength(43);
    const found = await h.call('admin', 'GET', '/api/ear-tags?q=379866159');
    expect(found.body.items.map((t: { tagCode: string }) => t.tagCode)).toEqual([
      '056000379866159',
    ]);
    const aalOnly = await h.call('krtOfficer', 'GET', '/api/ear-tags?q=0560004183');
    expect(aalOnly.body.items).toEqual([]);
    const inBox = await h.call(
      'admin',
      'GET',
      '/api/ear-tags?bbox=4.02,50.76,4.04,50.78&limit=500',
    );
    expect(inBox.body.items).toHaveLength(43);
  });

  it('answers 404 for another branch’s ear tag on read, change and delete', async () => {
    const aalTag = await tagId('056000418310407');
    expect((await h.call('krtOfficer', 'GET', `/api/ear-tags/${aalTag}`)).status).toBe(404);
    const patch = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${aalTag}`, {
      unboundAt: '2099-01-01T00:00:00Z',
    });
    expect(patch.status).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/ear-tags/${aalTag}`)).status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/ear-tags/${aalTag}`)).status).toBe(200);
  });

  it('answers 404 when creating in another branch’s herd', async () => {
    const response = await h.call('krtOfficer', 'POST', '/api/ear-tags', {
      herdId: aalHerd,
      tagCode: 'BE-404',
    });
    expect(response.status).toBe(404);
    expect(response.body.error.message).toContain('herd');
  });

  it('creates with an audit record; a code twice in one herd is a 409, in two herds a double pledge', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/ear-tags', {
      herdId: krtHerd,
      tagCode: 'BE-0001:a_b.c',
      boundAt: '2026-03-01T10:00:00+01:00',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      branchId: krtBranch,
      herdId: krtHerd,
      tagCode: 'BE-0001:a_b.c',
      boundAt: '2026-03-01T09:00:00.000Z',
      unboundAt: null,
    });
    const { rows } = await h.storage.query<{ action: string; branch_id: string; after: unknown }>(
      `select action, branch_id, after from audit_log where entity_type = 'ear-tags' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([{ action: 'create', branch_id: krtBranch, after: created.body }]);

    const again = await h.call('krtOfficer', 'POST', '/api/ear-tags', {
      herdId: krtHerd,
      tagCode: 'BE-0001:a_b.c',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const doublePledge = await h.call('admin', 'POST', '/api/ear-tags', {
      herdId: aalHerd,
      tagCode: 'BE-0001:a_b.c',
    });
    expect(doublePledge.status).toBe(201);
    const now = Date.now();
    expect(Math.abs(Date.parse(doublePledge.body.boundAt) - now)).toBeLessThan(60_000);
  });

  it('validates every field of the body with its path and rule', async () => {
    const cases: Array<[Record<string, unknown>, string, string | RegExp]> = [
      [
        { tagCode: 'BE 0001' },
        'json.tagCode',
        'must be letters, digits and . _ : - starting with a letter or digit',
      ],
      [{ tagCode: '-BE0001' }, 'json.tagCode', /starting with a letter or digit/],
      [{ tagCode: '' }, 'json.tagCode', /Too small: expected string to have >=1 characters/],
      [
        { tagCode: 'A'.repeat(65) },
        'json.tagCode',
        /Too big: expected string to have <=64 characters/,
      ],
      [{ tagCode: 56000379866048 }, 'json.tagCode', /expected string/],
      [
        { boundAt: '2026-03-01 10:00' },
        'json.boundAt',
        'must be an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T10:00:00Z',
      ],
      [{ boundAt: '2026-03-01T10:00:00' }, 'json.boundAt', /with a time zone/],
      [
        { boundAt: '2026-03-01T10:00:00Z', unboundAt: '2026-03-01T11:00:00+02:00' },
        'json.unboundAt',
        'unboundAt 2026-03-01T11:00:00+02:00 must be after boundAt 2026-03-01T10:00:00Z',
      ],
      [{ unboundAt: '2020-01-01T00:00:00Z' }, 'json.unboundAt', /must be after boundAt/],
      [{ herdId: 'H-KRT-02' }, 'json.herdId', 'Invalid UUID'],
      [{ animal: 'cow 12' }, 'json', 'Unrecognized key: "animal"'],
    ];
    for (const [patch, path, message] of cases) {
      const response = await h.call('krtOfficer', 'POST', '/api/ear-tags', {
        herdId: krtHerd,
        tagCode: 'BE-0002',
        ...patch,
      });
      expect(response.status, JSON.stringify(patch)).toBe(400);
      // An empty code breaks two rules (length and pattern): each problem names the field.
      expect(problems(response.body), JSON.stringify(patch)).toContainEqual({
        path,
        message: typeof message === 'string' ? message : expect.stringMatching(message),
      });
      expect(new Set(problems(response.body).map((p) => p.path))).toEqual(new Set([path]));
    }
  });

  it('unbinds a tag with before and after in the audit log; its herd is fixed', async () => {
    const id = (
      await h.call('krtOfficer', 'POST', '/api/ear-tags', {
        herdId: krtHerd,
        tagCode: 'BE-0003',
        boundAt: '2026-03-01T10:00:00Z',
      })
    ).body.id;
    const changed = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${id}`, {
      unboundAt: '2026-06-01T10:00:00Z',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      tagCode: 'BE-0003',
      unboundAt: '2026-06-01T10:00:00.000Z',
    });
    const { rows } = await h.storage.query<{ before: unknown; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(rows).toEqual([
      { before: expect.objectContaining({ unboundAt: null }), after: changed.body },
    ]);

    const moved = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${id}`, { herdId: aalHerd });
    expect(moved.status).toBe(400);
    expect(problems(moved.body)).toEqual([{ path: 'json', message: 'herdId cannot be changed' }]);
    const early = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${id}`, {
      unboundAt: '2026-02-01T00:00:00Z',
    });
    expect(problems(early.body)).toEqual([
      {
        path: 'json.unboundAt',
        message: 'unboundAt 2026-02-01T00:00:00Z must be after boundAt 2026-03-01T10:00:00.000Z',
      },
    ]);
    const late = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${id}`, {
      boundAt: '2026-07-01T00:00:00Z',
    });
    expect(problems(late.body).map((p) => p.path)).toEqual(['json.boundAt']);
    const taken = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${id}`, {
      tagCode: '056000379866048',
    });
    expect(taken.status).toBe(409);
    const rebound = await h.call('krtOfficer', 'PATCH', `/api/ear-tags/${id}`, { unboundAt: null });
    expect(rebound.body).toMatchObject({ unboundAt: null, herdId: krtHerd });
  });

  it('deletion needs a supervisor', async () => {
    const id = (
      await h.call('krtOfficer', 'POST', '/api/ear-tags', { herdId: krtHerd, tagCode: 'BE-0004' })
    ).body.id;
    const refused = await h.call('krtOfficer', 'DELETE', `/api/ear-tags/${id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await h.call('krtSupervisor', 'DELETE', `/api/ear-tags/${id}`)).status).toBe(204);
    expect((await h.call('krtSupervisor', 'GET', `/api/ear-tags/${id}`)).status).toBe(404);
    const { rows } = await h.storage.query<{ before: unknown; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'delete'`,
      [id],
    );
    expect(rows).toEqual([
      { before: expect.objectContaining({ tagCode: 'BE-0004' }), after: null },
    ]);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/ear-tags', '/ear-tags/{id}']),
    );
  });
});
