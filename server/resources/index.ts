import { swaggerUiRoutes } from '../api/docs.ts';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { authenticate } from '../auth/authenticate.ts';
import { createAuthRoutes } from './auth.ts';
import { createApiKeyRoutes } from './api-keys.ts';
import { createAuditRoutes } from './audit.ts';
import { createGatewayRoutes } from './gateways.ts';
import { createUserRoutes } from './users.ts';
import { crudRoutes } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { borrowersSpec } from './borrowers.ts';
import { farmsSpec } from './farms.ts';
import { parcelsSpec } from './parcels.ts';
import { importRoutes } from './import-routes.ts';
import { exportRoutes } from './export-portfolio.ts';
import { loansSpec } from './loans.ts';
import { herdsSpec } from './herds.ts';
import { earTagsSpec } from './ear-tags.ts';
import { camerasSpec } from './cameras.ts';
import { branchesSpec } from './branches.ts';
import { createHerdStateRoutes } from '../herds/index.ts';
import { createAnimalPositionRoutes } from '../routes/animal-positions.ts';
import { createHerdCountRoutes } from '../routes/herd-counts.ts';
import { createAlertRoutes } from '../alerts/index.ts';
import { createAlertStreamRoutes } from '../alerts/stream/index.ts';
import { createSubscriptionRoutes } from './subscriptions.ts';
import { createCollateralRoutes, createValuationRoutes } from '../collateral/index.ts';
import { createLoanReportRoutes, createReportRoutes } from '../report/index.ts';
import {
  createParcelStatusRoutes,
  createSatelliteRoutes,
  createTileRoutes,
} from '../satellite/routes.ts';

/**
 * Everything under /api that a signed-in user or an API key reaches: each resource is a sub-app;
 * the OpenAPI document is generated from the same zod schemas that validate requests.
 */
export function createApiApp(services: Services): OpenAPIHono<AppEnv> {
  const api = createApiRouter();
  api.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key made with POST /api/api-keys: `Authorization: Bearer pwk_...`',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'pw_session',
    description: 'The session cookie set by POST /api/auth/login',
  });

  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'PledgeWatch API',
      version: '1',
      description:
        'Farm collateral monitoring for agricultural loans. Officers and supervisors see only their branch; admins see all.',
    },
    // Paths in this document are relative to /api, where the service mounts this router.
    servers: [{ url: '/api' }],
    security: [{ apiKey: [] }, { session: [] }],
  });
  api.route('/docs', swaggerUiRoutes());
  // Login and logout need no session (mounted before `secured`); /auth/me authenticates itself.
  api.route('/auth', createAuthRoutes(services));

  const secured = createApiRouter();
  secured.use('*', authenticate(services.storage));
  // Before any /alerts/{id} route, so "stream" is not taken for an alert id.
  secured.route('/alerts', createAlertStreamRoutes(services));
  secured.route('/subscriptions', createSubscriptionRoutes(services));
  secured.route('/users', createUserRoutes(services));
  secured.route('/api-keys', createApiKeyRoutes(services));
  secured.route('/gateways', createGatewayRoutes(services));
  secured.route('/audit', createAuditRoutes(services));
  secured.route('/borrowers', crudRoutes(services, borrowersSpec));
  secured.route('/farms', crudRoutes(services, farmsSpec));
  secured.route('/farms', importRoutes(services));
  // Before the parcel resource, so `status.geojson` is not taken for a parcel id.
  secured.route('/parcels', createParcelStatusRoutes(services));
  secured.route('/parcels', crudRoutes(services, parcelsSpec));
  secured.route('/export', exportRoutes(services));
  // Before the loan resource, so /loans/{id}/report is not taken for a loan route.
  secured.route('/loans', createLoanReportRoutes(services));
  // Before the loan resource, so /loans/{id}/collateral and /coverage are not taken for it.
  secured.route('/loans', createCollateralRoutes(services));
  secured.route('/loans', crudRoutes(services, loansSpec));
  secured.route('/valuation', createValuationRoutes(services));
  secured.route('/reports', createReportRoutes(services));
  secured.route('/herds', crudRoutes(services, herdsSpec));
  secured.route('/herds', createHerdStateRoutes(services));
  secured.route('/herds', createHerdCountRoutes(services));
  secured.route('/animal-positions', createAnimalPositionRoutes(services));
  secured.route('/ear-tags', crudRoutes(services, earTagsSpec));
  secured.route('/cameras', crudRoutes(services, camerasSpec));
  secured.route('/branches', crudRoutes(services, branchesSpec));
  secured.route('/satellite', createSatelliteRoutes(services));
  secured.route('/tiles', createTileRoutes(services));
  secured.route('/', createAlertRoutes(services));
  api.route('/', secured);
  return api;
}
