import type { MultiPolygon, Polygon } from '../../geo/index.ts';

/** The shape of `fixtures/demo/portfolio.json`, written by scripts/generate-demo-portfolio.ts. */
export interface PortfolioFile {
  readonly cropTypes: ReadonlyArray<{ code: number; name: string }>;
  /** Expected yield per crop, each valid from a date (the latest valid_from <= a day applies). */
  readonly cropYields: ReadonlyArray<{ cropCode: number; validFrom: string; tonnesPerHa: number }>;
  readonly cropPrices: ReadonlyArray<{
    cropCode: number;
    validFrom: string;
    pricePerTonne: string;
    currency: string;
  }>;
  /** Value per head by species, for herds without their own appraisal. */
  readonly livestockValues: ReadonlyArray<{
    species: string;
    validFrom: string;
    valuePerHead: string;
    currency: string;
  }>;
  readonly branches: ReadonlyArray<{ code: string; name: string }>;
  readonly users: ReadonlyArray<{
    email: string;
    displayName: string;
    role: 'officer' | 'supervisor' | 'admin';
    branchCode: string | null;
  }>;
  readonly borrowers: ReadonlyArray<{
    ref: string;
    branchCode: string;
    name: string;
    registrationNo: string;
  }>;
  readonly loans: ReadonlyArray<{
    reference: string;
    borrowerRef: string;
    branchCode: string;
    officerEmail: string;
    amount: string;
    balance: string;
    currency: string;
    disbursedOn: string;
    maturesOn: string;
  }>;
  readonly farms: ReadonlyArray<{
    code: string;
    borrowerRef: string;
    name: string;
    boundary: Polygon | MultiPolygon;
  }>;
  readonly parcels: ReadonlyArray<{
    code: string;
    farmCode: string;
    loanReference: string | null;
    geometry: Polygon | MultiPolygon;
    declaredCropCode: number;
    declaredAreaM2: number;
    season: string;
    seasonStart: string;
    seasonEnd: string;
  }>;
  readonly herds: ReadonlyArray<{
    code: string;
    farmCode: string;
    loanReference: string | null;
    name: string;
    species: string;
    pledgedHeadCount: number;
    valuePerHead: string;
    currency: string;
  }>;
  readonly gateways: ReadonlyArray<{ code: string; farmCode: string; name: string }>;
  readonly earTags: ReadonlyArray<{ tagCode: string; herdCode: string }>;
  readonly cameras: ReadonlyArray<{
    code: string;
    farmCode: string;
    gatewayCode: string | null;
    name: string;
    zone: string | null;
  }>;
}
