/**
 * The web app reads the API through the type-only shapes in api-types.ts: these checks (run by
 * `tsc`, as every test file is type-checked) fail when a route's schema drifts from them.
 */
import type { z } from '@hono/zod-openapi';
import { describe, expectTypeOf, it } from 'vitest';
import type { Borrower, Herd, HerdStateSummary, Loan } from './api-types.ts';
import type { HerdStateView } from './herds/herd-state-routes.ts';
import type { borrowerSchema } from './resources/borrowers.ts';
import type { herdSchema } from './resources/herds.ts';
import type { loanSchema } from './resources/loans.ts';

describe('the API shapes the web app imports', () => {
  it('match what the routes answer', () => {
    expectTypeOf<z.infer<typeof borrowerSchema>>().toEqualTypeOf<Borrower>();
    expectTypeOf<z.infer<typeof loanSchema>>().toEqualTypeOf<Loan>();
    expectTypeOf<z.infer<typeof herdSchema>>().toEqualTypeOf<Herd>();
    expectTypeOf<HerdStateView>().toExtend<HerdStateSummary>();
  });
});
