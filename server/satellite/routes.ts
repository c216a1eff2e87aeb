/** The satellite side's HTTP routes, for `server/resources/index.ts` to mount. */
export { createParcelStatusRoutes } from './parcel-status-routes.ts';
export { createSatelliteRoutes } from './satellite-routes.ts';
export { createTileRoutes } from './tile-routes.ts';
