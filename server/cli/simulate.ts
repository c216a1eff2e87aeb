import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Polygon } from '../../geo/index.ts';
import type { Config } from '../config.ts';
import { simulateFarms, type SimFarm, type SimulateSummary } from '../simulate/simulate.ts';
import { parseCli, required } from './create-user.ts';
import { CliUsageError } from './usage-error.ts';

export interface SimulateArgs {
  readonly farms: number;
  readonly animals: number;
  readonly intervalMs: number;
  readonly brokerUrl: string | null;
  readonly ticks: number | undefined;
  readonly theftCount: number;
  readonly theftAtTick: number;
  readonly failingTags: number;
  readonly failAtTick: number;
  readonly cameraUndercount: number;
  readonly seed: number;
  readonly secretsFile: string | null;
}

function numberArg(
  values: Partial<Record<string, string>>,
  name: string,
  fallback: number | undefined,
  rule: { min: number; max: number; integer: boolean },
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    value < rule.min ||
    value > rule.max
  ) {
    throw new CliUsageError(
      `--${name} ${JSON.stringify(raw)} must be ${rule.integer ? 'an integer' : 'a number'} in [${rule.min}, ${rule.max}]`,
    );
  }
  return value;
}

export function parseSimulateArgs(args: readonly string[]): SimulateArgs {
  const { values } = parseCli(args, {
    farms: true,
    animals: true,
    interval: true,
    broker: true,
    ticks: true,
    theft: true,
    'theft-at': true,
    'failing-tags': true,
    'fail-at': true,
    'camera-undercount': true,
    seed: true,
    'secrets-file': true,
  });
  const int = { min: 0, max: 1_000_000, integer: true };
  required(values, 'farms');
  required(values, 'animals');
  required(values, 'interval');
  return {
    farms: numberArg(values, 'farms', undefined, { ...int, min: 1 }) ?? 1,
    animals: numberArg(values, 'animals', undefined, { ...int, min: 1, max: 100_000 }) ?? 1,
    intervalMs:
      (numberArg(values, 'interval', undefined, { min: 0.01, max: 86_400, integer: false }) ?? 1) *
      1000,
    brokerUrl: values.broker ?? null,
    ticks: numberArg(values, 'ticks', undefined, { ...int, min: 1 }),
    theftCount: numberArg(values, 'theft', 0, int) ?? 0,
    theftAtTick: numberArg(values, 'theft-at', 3, int) ?? 3,
    failingTags: numberArg(values, 'failing-tags', 0, int) ?? 0,
    failAtTick: numberArg(values, 'fail-at', 3, int) ?? 3,
    cameraUndercount:
      numberArg(values, 'camera-undercount', 0, { min: 0, max: 1, integer: false }) ?? 0,
    seed: numberArg(values, 'seed', 1, int) ?? 1,
    secretsFile: values['secrets-file'] ?? null,
  };
}

interface DemoPortfolio {
  farms: { code: string; boundary: Polygon }[];
  gateways: { code: string; farmCode: string }[];
  cameras: { code: string; farmCode: string }[];
  herds: { code: string; farmCode: string }[];
  earTags: { tagCode: string; herdCode: string }[];
}

/** The first `count` demo farms that have a gateway, with their fences, cameras and tags. */
export async function loadDemoFarms(
  count: number,
  secrets: Readonly<Record<string, string>>,
): Promise<SimFarm[]> {
  const file = new URL('../../fixtures/demo/portfolio.json', import.meta.url);
  const portfolio = JSON.parse(await readFile(file, 'utf8')) as DemoPortfolio;
  const farms: SimFarm[] = [];
  for (const farm of portfolio.farms) {
    const gateway = portfolio.gateways.find((g) => g.farmCode === farm.code);
    if (gateway === undefined) continue;
    const secret = secrets[gateway.code];
    if (secret === undefined) throw new CliUsageError(`no secret for gateway ${gateway.code}`);
    const herds = new Set(
      portfolio.herds.filter((h) => h.farmCode === farm.code).map((h) => h.code),
    );
    farms.push({
      code: farm.code,
      gatewayCode: gateway.code,
      secret,
      fence: farm.boundary,
      cameraCodes: portfolio.cameras.filter((c) => c.farmCode === farm.code).map((c) => c.code),
      tagIds: portfolio.earTags.filter((t) => herds.has(t.herdCode)).map((t) => t.tagCode),
    });
    if (farms.length === count) break;
  }
  if (farms.length < count) {
    throw new CliUsageError(
      `--farms ${count}: the demo portfolio has ${farms.length} farms with a gateway`,
    );
  }
  return farms;
}

/** Runs `pledgewatch simulate` until --ticks or Ctrl-C. */
export async function runSimulate(args: SimulateArgs, config: Config): Promise<SimulateSummary> {
  const secretsFile = args.secretsFile ?? path.join(config.dataDir, 'demo-gateway-secrets.json');
  let secrets: Record<string, string>;
  try {
    secrets = JSON.parse(await readFile(secretsFile, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new CliUsageError(
      `cannot read gateway secrets from ${secretsFile} (run \`pledgewatch seed-demo\` or pass --secrets-file)`,
      { cause: error },
    );
  }
  const farms = await loadDemoFarms(args.farms, secrets);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    return await simulateFarms({
      brokerUrl:
        args.brokerUrl ?? config.mqtt.url ?? `mqtt://${config.mqtt.host}:${config.mqtt.port}`,
      farms,
      animalsPerFarm: args.animals,
      intervalMs: args.intervalMs,
      ticks: args.ticks,
      theftCount: args.theftCount,
      theftAtTick: args.theftAtTick,
      failingTags: args.failingTags,
      failAtTick: args.failAtTick,
      cameraUndercount: args.cameraUndercount,
      seed: args.seed,
      signal: abort.signal,
      onTick: ({ tick, readingsSent, countsSent, events }) => {
        for (const event of events) process.stderr.write(`simulate: tick ${tick}: ${event}\n`);
        process.stderr.write(
          `simulate: tick ${tick}: ${readingsSent} readings, ${countsSent} counts\n`,
        );
      },
    });
  } finally {
    process.off('SIGINT', stop);
  }
}
