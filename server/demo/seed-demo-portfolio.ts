import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { areaM2, bboxOf, type MultiPolygon, type Polygon } from '../../geo/index.ts';
import { generatePassword } from '../auth/passwords.ts';
import { generateSecret, hashSecret } from '../auth/secrets.ts';
import type { Queryable, Storage } from '../db/storage.ts';
import { AppError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { PortfolioFile } from './portfolio-file.ts';

export const demoPortfolioPath = fileURLToPath(
  new URL('../../fixtures/demo/portfolio.json', import.meta.url),
);

export interface SeedResult {
  readonly seeded: boolean;
  readonly counts?: Record<string, number>;
  /** Where the demo gateways' one-time secrets were written (mode 0600). */
  readonly secretsFile?: string;
  /** Where the demo users' one-time passwords were written (mode 0600). */
  readonly passwordsFile?: string;
}

/**
 * Loads the demo portfolio into an empty database (no branches yet) in one transaction; does
 * nothing on a database that already holds a portfolio. Gateway secrets and user passwords are
 * generated here, stored hashed, and written once to `<dataDir>/demo-gateway-secrets.json` and
 * `<dataDir>/demo-user-passwords.json` (email -> password) for the developer to use.
 */
export async function seedDemoPortfolio(
  storage: Storage,
  options: { dataDir: string; file?: string; logger?: Logger },
): Promise<SeedResult> {
  const logger = options.logger ?? silentLogger;
  const portfolio = JSON.parse(
    await readFile(options.file ?? demoPortfolioPath, 'utf8'),
  ) as PortfolioFile;
  const secrets = await Promise.all(
    portfolio.gateways.map(async (g) => {
      const secret = generateSecret();
      return { code: g.code, secret, hash: await hashSecret(secret) };
    }),
  );
  const passwords = await Promise.all(
    portfolio.users.map(async (u) => {
      const password = generatePassword();
      return { email: u.email, password, hash: await hashSecret(password) };
    }),
  );

  // The secrets files are written before the seed commits: a crash after the commit must not leave
  // gateways or users whose secrets nobody can recover. A failed seed removes the files again; a
  // crash before the commit leaves stale files that the next (re-)seed overwrites.
  await mkdir(options.dataDir, { recursive: true });
  const secretsFile = path.join(options.dataDir, 'demo-gateway-secrets.json');
  const passwordsFile = path.join(options.dataDir, 'demo-user-passwords.json');
  let wroteSecrets = false;
  try {
    const result = await storage.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('pledgewatch.seed'))`);
      const { rows } = await tx.query<{ empty: boolean }>(
        'select not exists (select 1 from branches) as empty',
      );
      if (rows[0]?.empty !== true) return { seeded: false } as const;
      const counts = await insertPortfolio(
        tx,
        portfolio,
        new Map(secrets.map((s) => [s.code, s.hash])),
        new Map(passwords.map((p) => [p.email, p.hash])),
      );
      await tx.query(
        `insert into audit_log (actor_kind, actor_id, action, entity_type, after)
         values ('system', 'demo-seed', 'seed', 'portfolio', $1)`,
        [JSON.stringify(counts)],
      );
      wroteSecrets = true;
      await writePrivateJson(
        secretsFile,
        Object.fromEntries(secrets.map((s) => [s.code, s.secret])),
      );
      await writePrivateJson(
        passwordsFile,
        Object.fromEntries(passwords.map((p) => [p.email, p.password])),
      );
      return { seeded: true, counts } as const;
    });
    if (!result.seeded) return result;
    logger.info('demo portfolio loaded', {
      ...result.counts,
      gatewaySecretsFile: secretsFile,
      userPasswordsFile: passwordsFile,
    });
    return { ...result, secretsFile, passwordsFile };
  } catch (error) {
    if (wroteSecrets) {
      await rm(secretsFile, { force: true });
      await rm(passwordsFile, { force: true });
    }
    throw error;
  }
}

/** Writes JSON readable by the owner only (chmod too: an existing file keeps its old mode). */
async function writePrivateJson(file: string, content: unknown): Promise<void> {
  await writeFile(file, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

async function insertPortfolio(
  tx: Queryable,
  p: PortfolioFile,
  secretHashes: ReadonlyMap<string, string>,
  passwordHashes: ReadonlyMap<string, string>,
): Promise<Record<string, number>> {
  const ids = {
    branch: new Map<string, string>(),
    user: new Map<string, string>(),
    borrower: new Map<string, string>(),
    loan: new Map<string, string>(),
    farm: new Map<string, string>(),
    herd: new Map<string, string>(),
    gateway: new Map<string, string>(),
  };
  const lookup = (map: Map<string, string>, key: string | null, what: string): string | null => {
    if (key === null) return null;
    const id = map.get(key);
    if (id === undefined)
      throw new AppError(
        'invalid_portfolio',
        `demo portfolio: ${what} ${JSON.stringify(key)} is not defined`,
      );
    return id;
  };
  const insert = async (sql: string, params: unknown[]): Promise<string> => {
    const { rows } = await tx.query<{ id: string }>(sql, params as never[]);
    const id = rows[0]?.id;
    if (id === undefined)
      throw new AppError(
        'invalid_portfolio',
        `demo portfolio: insert returned no id (${sql.slice(0, 40)})`,
      );
    return id;
  };

  for (const crop of p.cropTypes) {
    await tx.query(
      'insert into crop_types (code, name) values ($1, $2) on conflict (code) do nothing',
      [crop.code, crop.name],
    );
  }
  // Valuation settings: plain rows keyed by crop or species and date, loaded as given.
  await tx.query(
    `insert into crop_yields (crop_code, valid_from, tonnes_per_ha)
     select * from unnest($1::int[], $2::date[], $3::float8[])`,
    [
      p.cropYields.map((y) => y.cropCode),
      p.cropYields.map((y) => y.validFrom),
      p.cropYields.map((y) => y.tonnesPerHa),
    ],
  );
  await tx.query(
    `insert into crop_prices (crop_code, valid_from, price_per_tonne, currency)
     select * from unnest($1::int[], $2::date[], $3::numeric[], $4::text[])`,
    [
      p.cropPrices.map((c) => c.cropCode),
      p.cropPrices.map((c) => c.validFrom),
      p.cropPrices.map((c) => c.pricePerTonne),
      p.cropPrices.map((c) => c.currency),
    ],
  );
  await tx.query(
    `insert into livestock_values (species, valid_from, value_per_head, currency)
     select * from unnest($1::text[], $2::date[], $3::numeric[], $4::text[])`,
    [
      p.livestockValues.map((v) => v.species),
      p.livestockValues.map((v) => v.validFrom),
      p.livestockValues.map((v) => v.valuePerHead),
      p.livestockValues.map((v) => v.currency),
    ],
  );
  for (const b of p.branches) {
    ids.branch.set(
      b.code,
      await insert('insert into branches (code, name) values ($1, $2) returning id', [
        b.code,
        b.name,
      ]),
    );
  }
  for (const u of p.users) {
    ids.user.set(
      u.email,
      await insert(
        `insert into users (branch_id, email, display_name, role, password_hash)
         values ($1, $2, $3, $4, $5) returning id`,
        [
          lookup(ids.branch, u.branchCode, 'branch'),
          u.email,
          u.displayName,
          u.role,
          passwordHashes.get(u.email) ?? null,
        ],
      ),
    );
  }
  for (const b of p.borrowers) {
    ids.borrower.set(
      b.ref,
      await insert(
        'insert into borrowers (branch_id, ref, name, registration_no) values ($1, $2, $3, $4) returning id',
        [lookup(ids.branch, b.branchCode, 'branch'), b.ref, b.name, b.registrationNo],
      ),
    );
  }
  for (const l of p.loans) {
    ids.loan.set(
      l.reference,
      await insert(
        `insert into loans (borrower_id, branch_id, officer_id, reference, amount, balance, currency, disbursed_on, matures_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
        [
          lookup(ids.borrower, l.borrowerRef, 'borrower'),
          lookup(ids.branch, l.branchCode, 'branch'),
          lookup(ids.user, l.officerEmail, 'officer'),
          l.reference,
          l.amount,
          l.balance,
          l.currency,
          l.disbursedOn,
          l.maturesOn,
        ],
      ),
    );
  }
  for (const f of p.farms) {
    ids.farm.set(
      f.code,
      await insert(
        `insert into farms (borrower_id, code, name, boundary, ${areaColumns})
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
        [
          lookup(ids.borrower, f.borrowerRef, 'borrower'),
          f.code,
          f.name,
          JSON.stringify(f.boundary),
          ...areaAndBbox(f.boundary),
        ],
      ),
    );
  }
  for (const parcel of p.parcels) {
    await insert(
      `insert into parcels (farm_id, loan_id, code, geometry, ${areaColumns},
                            declared_crop_code, declared_area_m2, season, season_start, season_end)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning id`,
      [
        lookup(ids.farm, parcel.farmCode, 'farm'),
        lookup(ids.loan, parcel.loanReference, 'loan'),
        parcel.code,
        JSON.stringify(parcel.geometry),
        ...areaAndBbox(parcel.geometry),
        parcel.declaredCropCode,
        parcel.declaredAreaM2,
        parcel.season,
        parcel.seasonStart,
        parcel.seasonEnd,
      ],
    );
  }
  for (const h of p.herds) {
    ids.herd.set(
      h.code,
      await insert(
        `insert into herds (farm_id, loan_id, code, name, species, pledged_head_count, value_per_head, currency)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
        [
          lookup(ids.farm, h.farmCode, 'farm'),
          lookup(ids.loan, h.loanReference, 'loan'),
          h.code,
          h.name,
          h.species,
          h.pledgedHeadCount,
          h.valuePerHead,
          h.currency,
        ],
      ),
    );
  }
  for (const g of p.gateways) {
    ids.gateway.set(
      g.code,
      await insert(
        'insert into gateways (farm_id, code, name, secret_hash) values ($1, $2, $3, $4) returning id',
        [lookup(ids.farm, g.farmCode, 'farm'), g.code, g.name, secretHashes.get(g.code)],
      ),
    );
  }
  const tagHerds = p.earTags.map((t) => lookup(ids.herd, t.herdCode, 'herd'));
  await tx.query(
    'insert into ear_tags (herd_id, tag_code) select * from unnest($1::uuid[], $2::text[])',
    [tagHerds, p.earTags.map((t) => t.tagCode)],
  );
  // A pledged herd's tags have been bound since the loan was granted, not since the demo was
  // seeded: else the herd would count no pledged head at any earlier moment (collateral history,
  // reports).
  await tx.query(
    `update ear_tags e set bound_at = l.disbursed_on::timestamptz
       from herds h join loans l on l.id = h.loan_id
      where e.herd_id = h.id and l.disbursed_on is not null and e.herd_id = any($1::uuid[])`,
    [[...new Set(tagHerds)]],
  );
  for (const cam of p.cameras) {
    await insert(
      'insert into cameras (farm_id, gateway_id, code, name, zone) values ($1, $2, $3, $4, $5) returning id',
      [
        lookup(ids.farm, cam.farmCode, 'farm'),
        lookup(ids.gateway, cam.gatewayCode, 'gateway'),
        cam.code,
        cam.name,
        cam.zone,
      ],
    );
  }
  return {
    branches: p.branches.length,
    users: p.users.length,
    borrowers: p.borrowers.length,
    loans: p.loans.length,
    farms: p.farms.length,
    parcels: p.parcels.length,
    herds: p.herds.length,
    gateways: p.gateways.length,
    earTags: p.earTags.length,
    cameras: p.cameras.length,
    cropYields: p.cropYields.length,
    cropPrices: p.cropPrices.length,
    livestockValues: p.livestockValues.length,
  };
}

const areaColumns = 'area_m2, min_lng, min_lat, max_lng, max_lat';

function areaAndBbox(geometry: Polygon | MultiPolygon): [number, number, number, number, number] {
  const [minLng, minLat, maxLng, maxLat] = bboxOf(geometry);
  return [areaM2(geometry), minLng, minLat, maxLng, maxLat];
}
