/**
 * The contract between the bench runner (`scripts/bench.ts`) and its suites, and the shape of
 * `bench-results/<suite>.json`.
 *
 * A suite measures a few cases, grouped so that each group has one baseline measured in the same
 * run; figures are reported as ratios against it, because absolute rates on a shared, noisy
 * machine say little.
 */

export interface BenchOptions {
  /** Smaller sizes and budgets: a smoke run that proves the suite works, not figures to quote. */
  readonly quick: boolean;
  /** Aborted on Ctrl-C: a suite stops at the next batch, cleans up and rejects. */
  readonly signal: AbortSignal;
  /** Progress for the operator (stderr). Results go in the returned value only. */
  readonly log: (line: string) => void;
}

export interface BenchSuite {
  readonly name: string;
  readonly title: string;
  /** Whether the suite needs a PostgreSQL/TimescaleDB server in DATABASE_URL. */
  readonly needsDatabaseServer: boolean;
  run(options: BenchOptions): Promise<SuiteResult>;
}

/** One timed measurement of one case. */
export interface Sample {
  /** 1-based repetition number. */
  readonly repetition: number;
  /** Items handled inside the timed region (less than planned when the time cap ended it). */
  readonly count: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  /** True when the per-measurement time cap, not the planned count, ended the measurement. */
  readonly stoppedByTimeCap: boolean;
}

export interface CaseResult {
  readonly id: string;
  readonly label: string;
  readonly isBaseline: boolean;
  readonly samples: readonly Sample[];
  /** Median of the samples' rates; null when no sample was taken. */
  readonly medianPerSecond: number | null;
  readonly minPerSecond: number | null;
  readonly maxPerSecond: number | null;
  /** Median rate divided by the baseline's median rate in the same group. */
  readonly ratioToBaseline: number | null;
}

export interface ResultGroup {
  readonly label: string;
  readonly baselineId: string;
  readonly cases: readonly CaseResult[];
}

export interface SuiteResult {
  readonly suite: string;
  readonly title: string;
  /** Unit of the rates, e.g. "readings/s". */
  readonly unit: string;
  /** How the figures were obtained, in plain sentences: printed above the table. */
  readonly method: readonly string[];
  /** What ran: server versions and settings, sizes. */
  readonly environment: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly groups: readonly ResultGroup[];
  /** Derived comparisons worth reading (e.g. COPY against unnest). */
  readonly notes: readonly string[];
  /** Measurements not taken, with the reason. */
  readonly skipped: readonly string[];
}

/** The JSON file the runner writes: the suite's result plus when and where it ran. */
export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly quick: boolean;
  readonly host: {
    readonly node: string;
    /** NODE_OPTIONS the run had (`npm run bench` sets V8's young generation as `npm start` does). */
    readonly nodeOptions: string;
    readonly platform: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly totalMemoryMb: number;
  };
  readonly result: SuiteResult;
}
