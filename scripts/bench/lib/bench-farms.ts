/**
 * The bench portfolio shared by the MQTT suites: `farmCount` farms with the same square boundary
 * (3..3.02 E, 50..50.02 N) under one branch and borrower, and `maxGateways` gateways spread over
 * them round-robin, all with one known secret.
 */
import { hashSecret } from '../../../server/auth/secrets.ts';
import type { Storage } from '../../../server/db/storage.ts';
import type { PublisherGateway } from './mqtt-publishers.ts';

export const farmCount = 10;
export const maxGateways = 1_000;

export const farmCode = (i: number): string => `BENCH-F${i}`;
export const gatewayCode = (i: number): string => `BENCH-GW-${String(i).padStart(4, '0')}`;

/** Inserts the branch, borrower, farms and gateways (a fresh, migrated database). */
export async function insertPortfolio(storage: Storage, secret: string): Promise<void> {
  // One scrypt hash for every gateway: hashing 1,000 secrets would take a minute. The embedded
  // broker still verifies each gateway's secret once, at its first connect (not timed).
  const secretHash = await hashSecret(secret);
  await storage.query(
    `with b as (insert into branches (code, name) values ('BENCH', 'Bench') returning id),
          r as (insert into borrowers (branch_id, ref, name)
                select id, 'BENCH-1', 'Bench borrower' from b returning id)
     insert into farms (borrower_id, code, name, boundary, area_m2, min_lng, min_lat, max_lng, max_lat)
     select r.id, 'BENCH-F' || f, 'Bench farm ' || f,
            '{"type":"Polygon","coordinates":[[[3,50],[3.02,50],[3.02,50.02],[3,50.02],[3,50]]]}',
            3000000, 3, 50, 3.02, 50.02
     from r, generate_series(0, $1::int - 1) f`,
    [farmCount],
  );
  await storage.query(
    `insert into gateways (farm_id, code, name, secret_hash)
     select f.id, 'BENCH-GW-' || lpad(g::text, 4, '0'), 'Bench gateway ' || g, $2
     from generate_series(0, $1::int - 1) g
     join farms f on f.code = 'BENCH-F' || (g % $3::int)`,
    [maxGateways, secretHash, farmCount],
  );
}

/** The first `connections` gateways, as the load generator connects them. */
export function gatewaysFor(connections: number, secret: string, authenticate: boolean) {
  return Array.from({ length: connections }, (_, i): PublisherGateway => {
    const code = gatewayCode(i);
    return {
      clientId: code,
      farmCode: farmCode(i % farmCount),
      ...(authenticate ? { username: code, password: secret } : {}),
    };
  });
}
