/**
 * Drift checks (run by `tsc`) for the API shapes the map's alerts, animals and details panels
 * import from api-types.ts.
 */
import type { z } from '@hono/zod-openapi';
import { describe, expectTypeOf, it } from 'vitest';
import type { alertEventSchema, alertSchema } from './alerts/alerts-routes.ts';
import type { StreamMessage } from './alerts/stream/stream-message.ts';
import type {
  Alert,
  AlertEvent,
  AlertStreamMessage,
  AnimalPositions,
  HerdCounts,
  UserSummary,
} from './api-types.ts';
import type { userSchema } from './auth/users.ts';
import type { AnimalPositionsView } from './routes/animal-positions.ts';
import type { HerdCountsView } from './routes/herd-counts.ts';

describe('the API shapes the map panels import', () => {
  it('match what the routes answer', () => {
    expectTypeOf<z.infer<typeof alertSchema>>().toEqualTypeOf<Alert>();
    expectTypeOf<z.infer<typeof alertEventSchema>>().toExtend<AlertEvent>();
    expectTypeOf<StreamMessage>().toExtend<AlertStreamMessage>();
    expectTypeOf<z.infer<typeof userSchema>>().toExtend<UserSummary>();
    expectTypeOf<AnimalPositionsView>().toEqualTypeOf<AnimalPositions>();
    expectTypeOf<HerdCountsView>().toEqualTypeOf<HerdCounts>();
  });
});
