import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{server,ingest,geo,iot,web,fixtures,scripts}/**/*.test.ts'],
    globalSetup: ['server/testing/global-setup.ts'],
    // PGlite starts in about 1.5 s and integration tests spawn the service: be patient, bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
