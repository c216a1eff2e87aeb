import type { ParcelStatusProperties } from '../../server/api-types.ts';
import { getJson } from '../api.ts';

/**
 * The satellite check of each parcel of the caller's branch (`GET /api/parcels/status.geojson`),
 * by parcel id; empty when the service has no satellite side (the details panel then says
 * "no satellite check yet").
 */
export async function readParcelStatuses(): Promise<Map<string, ParcelStatusProperties>> {
  const collection = await getJson<{
    features: { id: string; properties: ParcelStatusProperties }[];
  }>('/api/parcels/status.geojson').catch(() => null);
  return new Map((collection?.features ?? []).map((f) => [f.id, f.properties]));
}
