/**
 * Suite `mqtt-ingest`: ear-tag readings per second END TO END (QoS 1 publish -> validated ->
 * committed in TimescaleDB) through the service's MQTT edge, on the embedded aedes broker and on
 * mosquitto (the service then consumes through an MQTT 5 shared subscription), with 10 and 1,000
 * gateway connections. Baseline of each group: the broker-only publish -> subscribe rate on the
 * same broker software in the same run (a subscriber that only counts, nothing stored).
 *
 * The publishers run in a child process (`scripts/bench/lib/mqtt-publishers.ts`, forked with tsx),
 * so the CPU and RSS reported for the service (this process: the edge, its batcher and, for the
 * embedded broker, aedes itself) do not include the load generator. Commit time is taken on the
 * service side, by wrapping the Storage it is given (`lib/commit-tracker.ts`): the moment each
 * batch's transaction commits. Every reading carries its publish time as `observedAt`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { createBroker, type RunningBroker } from '../../iot/index.ts';
import { loadConfig } from '../../server/config.ts';
import { migrate } from '../../server/db/migrate.ts';
import { openPgStorage } from '../../server/db/pg-storage.ts';
import type { Storage } from '../../server/db/storage.ts';
import { silentLogger } from '../../server/logger.ts';
import { startMqttEdge } from '../../server/mqtt/start-edge.ts';
import { createTestDatabase } from '../../server/testing/databases.ts';
import { trackCommits, type CommitTracker } from './lib/commit-tracker.ts';
import { createArrivalCounter } from './lib/counter.ts';
import { formatCount, formatSeconds, renderTable } from './lib/format.ts';
import { startBudget, type Budget } from './lib/measure.ts';
import { farmCount, gatewaysFor, insertPortfolio } from './lib/bench-farms.ts';
import { connectPool, type Publishers } from './lib/publisher-pool.ts';
import { watchResources } from './lib/resources.ts';
import { median, summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type { BenchOptions, BenchSuite, ResultGroup, Sample, SuiteResult } from './lib/types.ts';

interface Sizes {
  readonly connectionCounts: readonly number[];
  readonly readingsPerMeasurement: number;
  readonly repetitions: number;
  readonly maxMsPerMeasurement: number;
  /** The offered rate of the paced case, where the p99 publish-to-commit target applies. */
  readonly pacedRatePerSecond: number;
  /**
   * The ear tags the gateways report: a fixed herd population, each tag again and again, as on a
   * farm. Every tag is seen once before the measurements (the service then knows its last fix,
   * as a running service knows the herds it watches).
   */
  readonly tagPopulation: number;
  readonly budgetMs: number;
}

const fullSizes: Sizes = {
  connectionCounts: [10, 1_000],
  readingsPerMeasurement: 50_000,
  repetitions: 3,
  maxMsPerMeasurement: 10_000,
  pacedRatePerSecond: 10_000,
  tagPopulation: 10_000,
  budgetMs: 7 * 60_000,
};

const quickSizes: Sizes = {
  connectionCounts: [10, 1_000],
  readingsPerMeasurement: 5_000,
  repetitions: 1,
  maxMsPerMeasurement: 5_000,
  pacedRatePerSecond: 10_000,
  tagPopulation: 2_000,
  budgetMs: 3 * 60_000,
};

/** Unacknowledged QoS 1 messages over all connections (at least 2 per connection). */
const totalWindow = 2_000;

/** Each connection's share of `totalWindow` (at least 2 unacknowledged messages). */
const windowPerConnection = (connections: number): number =>
  Math.max(2, Math.ceil(totalWindow / connections));
/** How long to wait after the last PUBACK for the commits / deliveries still on their way. */
const drainTimeoutMs = 30_000;

const mosquittoScript = fileURLToPath(new URL('../mosquitto.sh', import.meta.url));

// ---------------------------------------------------------------------------------------------
// The broker-only baseline: a subscriber that counts.

interface CountingSubscriber {
  reset(): void;
  received(): number;
  lastAtMs(): number;
  waitFor(count: number, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

async function subscribeCounting(
  url: string,
  filter: string,
  auth: { username: string; password: string } | null,
): Promise<CountingSubscriber> {
  const client: MqttClient = mqtt.connect(url, {
    clientId: `bench-counter-${process.pid}`,
    // MQTT 3.1.1: aedes speaks no MQTT 5.
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    ...(auth ?? {}),
  });
  client.on('packetsend', (packet) => {
    if (packet.cmd === 'connect' && client.stream instanceof Socket) {
      client.stream.setNoDelay(true);
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  const received = createArrivalCounter();
  client.on('message', () => received.add(1));
  return {
    reset: () => received.reset(),
    received: () => received.value(),
    lastAtMs: () => received.lastAtMs(),
    waitFor: (wanted, timeoutMs) => received.waitFor(wanted, timeoutMs),
    close: () => client.endAsync(),
  };
}

// ---------------------------------------------------------------------------------------------
// Brokers.

interface BrokerSetup {
  readonly id: 'aedes' | 'mosquitto';
  readonly label: string;
  /** Where the broker-only baseline publishes and its subscriber listens. */
  readonly baselineUrl: string;
  /** Where the gateways publish for the service. */
  readonly serviceUrl: string;
  /** Gateways authenticate with their code and secret (embedded) or connect anonymously. */
  readonly gatewaysAuthenticate: boolean;
  /** CPU ms used so far by a broker in its own process; null when it runs in the service. */
  brokerCpuMs(): Promise<number | null>;
  close(): Promise<void>;
}

async function runScript(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [mosquittoScript, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`mosquitto.sh ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}

async function startService(
  storage: Storage,
  dataDir: string,
  mqttUrl: string | null,
): Promise<{ url: string; stop(timeoutMs: number): Promise<void> }> {
  const config = loadConfig({
    PW_MQTT_HOST: '127.0.0.1',
    PW_MQTT_PORT: '0',
    PW_MQTT_WS_PORT: '0',
    PW_DATA_DIR: dataDir,
    ...(mqttUrl === null
      ? {}
      : { MQTT_URL: mqttUrl, PW_MQTT_CLIENT_ID: `pledgewatch-bench-${process.pid}` }),
  });
  const edge = await startMqttEdge({ config, storage, logger: silentLogger });
  return { url: edge.endpoints.url, stop: (timeoutMs) => edge.stop(timeoutMs) };
}

/** utime + stime of the process whose pid is in `pidFile`, from /proc (Linux); null elsewhere. */
async function processCpuMs(pidFile: string): Promise<number | null> {
  try {
    const pid = (await readFile(pidFile, 'utf8')).trim();
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond : null;
  } catch (error) {
    process.stderr.write(`could not read the broker's CPU time: ${String(error)}\n`);
    return null;
  }
}

/** USER_HZ: 100 on every Linux build Node supports (sysconf is not reachable from Node). */
const clockTicksPerSecond = 100;

async function setUpAedes(storage: Storage, dataDir: string): Promise<BrokerSetup> {
  // The baseline: the same aedes factory the service uses, accepting anyone, storing nothing.
  const bare: RunningBroker = await createBroker<{ readonly anonymous: true }>({
    tcp: { host: '127.0.0.1', port: 0 },
    authenticate: () => Promise.resolve({ anonymous: true }),
    authorizePublish: () => true,
    authorizeSubscribe: () => true,
  });
  const service = await startService(storage, dataDir, null).catch(async (error: unknown) => {
    await bare.close();
    throw error;
  });
  return {
    id: 'aedes',
    label: 'embedded aedes',
    baselineUrl: `mqtt://127.0.0.1:${bare.tcp.port}`,
    serviceUrl: service.url,
    gatewaysAuthenticate: true,
    brokerCpuMs: () => Promise.resolve(null),
    close: async () => {
      await service.stop(5_000);
      await bare.close();
    },
  };
}

async function setUpMosquitto(storage: Storage, dataDir: string): Promise<BrokerSetup> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pledgewatch-bench-mosquitto.'));
  const stdout = await runScript(['start', dir]);
  const url = stdout.trim().split('\n').pop() ?? '';
  if (!url.startsWith('mqtt://')) {
    await runScript(['stop', dir]);
    throw new Error(`mosquitto.sh start printed ${JSON.stringify(stdout)}, not an mqtt:// URL`);
  }
  const service = await startService(storage, dataDir, url).catch(async (error: unknown) => {
    await runScript(['stop', dir]);
    throw error;
  });
  return {
    id: 'mosquitto',
    label: 'mosquitto',
    baselineUrl: url,
    serviceUrl: url,
    gatewaysAuthenticate: false,
    brokerCpuMs: () => processCpuMs(path.join(dir, 'mosquitto.pid')),
    close: async () => {
      await service.stop(5_000);
      await runScript(['stop', dir]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements.

type CaseId = 'broker-only' | 'end-to-end' | 'end-to-end-paced';

interface Extra {
  readonly caseId: CaseId;
  readonly repetition: number;
  readonly count: number;
  readonly lagP50Ms: number | null;
  readonly lagP99Ms: number | null;
  readonly pubackP50Ms: number | null;
  readonly pubackP99Ms: number | null;
  readonly cpuCores: number;
  /** The service's CPU time per message (reading) over the measurement, µs. */
  readonly cpuUsPerMessage: number;
  readonly rssPeakMb: number;
  /** mosquitto's CPU over the measurement (cores); null for the embedded broker. */
  readonly brokerCpuCores: number | null;
  readonly publisherCpuCores: number;
  /** Readings the service received and wrote again (skipped as duplicates): redeliveries. */
  readonly redelivered: number;
}

async function countStored(storage: Storage): Promise<number> {
  const { rows } = await storage.query<{ n: number }>(
    'select count(*)::int as n from tag_readings',
  );
  return rows[0]?.n ?? -1;
}

function percentile(values: Float64Array, p: number): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}

interface GroupContext {
  readonly broker: BrokerSetup;
  readonly connections: number;
  readonly baselinePublishers: Publishers;
  readonly servicePublishers: Publishers;
  readonly subscriber: CountingSubscriber;
  readonly tracker: CommitTracker;
  readonly storage: Storage;
  readonly sizes: Sizes;
  readonly options: BenchOptions;
  /** The tag ids of the herd population: `{herdId}-{0..tagPopulation-1}`. */
  readonly herdId: string;
}

async function measureCase(
  ctx: GroupContext,
  caseId: CaseId,
  repetition: number,
): Promise<{ sample: Sample; extra: Extra }> {
  const { sizes, options } = ctx;
  options.signal.throwIfAborted();
  const window = windowPerConnection(ctx.connections);
  const baseline = caseId === 'broker-only';
  if (!baseline) await ctx.storage.exec('truncate tag_readings');
  ctx.subscriber.reset();
  ctx.tracker.reset();

  const brokerCpuStartMs = await ctx.broker.brokerCpuMs();
  const wallStartMs = performance.now();
  const resources = watchResources();
  const reply = await (baseline ? ctx.baselinePublishers : ctx.servicePublishers).send({
    type: 'publish',
    topicRoot: baseline ? 'bench' : 'farms',
    runId: ctx.herdId,
    tagCount: sizes.tagPopulation,
    count: sizes.readingsPerMeasurement,
    ratePerSecond: caseId === 'end-to-end-paced' ? sizes.pacedRatePerSecond : null,
    windowPerConnection: window,
    maxMs: sizes.maxMsPerMeasurement,
  });
  if (reply.type !== 'published') throw new Error(`publishers answered ${reply.type}`);
  const deadline = performance.now() + drainTimeoutMs;
  let arrived = baseline
    ? await ctx.subscriber.waitFor(reply.acked, drainTimeoutMs)
    : await ctx.tracker.waitForRows(reply.acked, drainTimeoutMs);
  // Committed rows count redeliveries too (stored once, skipped as duplicates): wait until the
  // table holds every acknowledged reading.
  let stored = baseline ? reply.acked : await countStored(ctx.storage);
  while (!baseline && arrived && stored < reply.acked) {
    const leftMs = deadline - performance.now();
    if (leftMs <= 0) arrived = false;
    else {
      await ctx.tracker.waitForRows(ctx.tracker.committedRows() + 1, Math.min(leftMs, 200));
      stored = await countStored(ctx.storage);
    }
  }
  const use = resources.stop();
  const brokerCpuEndMs = await ctx.broker.brokerCpuMs();
  const wallMs = performance.now() - wallStartMs;
  const brokerCpuCores =
    brokerCpuStartMs === null || brokerCpuEndMs === null || wallMs <= 0
      ? null
      : (brokerCpuEndMs - brokerCpuStartMs) / wallMs;
  const count = baseline ? ctx.subscriber.received() : stored;
  if (!arrived || count !== reply.acked) {
    throw new Error(
      `${ctx.broker.label}, ${ctx.connections} connections, ${caseId}: ${reply.acked} publishes ` +
        `acknowledged but ${count} ${baseline ? 'delivered' : 'stored'} within ${formatSeconds(drainTimeoutMs)}`,
    );
  }
  const endMs = baseline ? ctx.subscriber.lastAtMs() : ctx.tracker.lastCommitAtMs();
  const elapsedMs = endMs - reply.firstPublishAtMs;
  let lagP50Ms: number | null = null;
  let lagP99Ms: number | null = null;
  const redelivered = baseline ? 0 : ctx.tracker.committedRows() - stored;
  if (!baseline) {
    const lags = ctx.tracker.lagsMs();
    lagP50Ms = percentile(lags, 0.5);
    lagP99Ms = percentile(lags, 0.99);
  }
  return {
    sample: {
      repetition,
      count,
      elapsedMs,
      perSecond: elapsedMs > 0 ? (count / elapsedMs) * 1000 : 0,
      stoppedByTimeCap: reply.stoppedByTimeCap,
    },
    extra: {
      caseId,
      repetition,
      count,
      lagP50Ms,
      lagP99Ms,
      pubackP50Ms: reply.ackLagP50Ms,
      pubackP99Ms: reply.ackLagP99Ms,
      cpuCores: use.cpuCores,
      cpuUsPerMessage: count > 0 ? (use.cpuCores * wallMs * 1000) / count : 0,
      rssPeakMb: use.rssPeakMb,
      brokerCpuCores,
      publisherCpuCores: reply.cpuCores,
      redelivered,
    },
  };
}

const caseLabels: Readonly<Record<CaseId, (sizes: Sizes) => string>> = {
  'broker-only': () => 'broker only: publish -> counting subscriber (baseline)',
  'end-to-end': () => 'end to end: publish -> validated -> committed',
  'end-to-end-paced': (sizes) =>
    `end to end, offered ${formatCount(sizes.pacedRatePerSecond)} readings/s`,
};

interface GroupOutcome {
  readonly group: ResultGroup;
  readonly extras: readonly Extra[];
  readonly skipped: number;
  /** Measurements that failed, with the reason. */
  readonly failures: readonly string[];
}

/** One reading of every tag of the herd population through the service, not timed. */
async function seeEveryTagOnce(ctx: GroupContext): Promise<void> {
  ctx.tracker.reset();
  const reply = await ctx.servicePublishers.send({
    type: 'publish',
    topicRoot: 'farms',
    runId: ctx.herdId,
    tagCount: ctx.sizes.tagPopulation,
    count: ctx.sizes.tagPopulation,
    ratePerSecond: null,
    windowPerConnection: windowPerConnection(ctx.connections),
    maxMs: drainTimeoutMs,
  });
  if (reply.type !== 'published') throw new Error(`publishers answered ${reply.type}`);
  if (!(await ctx.tracker.waitForRows(reply.acked, drainTimeoutMs)))
    throw new Error(`the herd's first ${reply.acked} readings were not stored in time`);
}

async function measureGroup(
  ctx: GroupContext,
  budget: Budget,
  caseIds: readonly CaseId[],
): Promise<GroupOutcome> {
  const label = `${ctx.broker.label}, ${formatCount(ctx.connections)} gateway connections, QoS 1`;
  const log = (line: string): void => ctx.options.log(`[mqtt-ingest] ${label}: ${line}`);
  const samples = new Map<CaseId, Sample[]>(caseIds.map((id) => [id, []]));
  const extras: Extra[] = [];
  const failures: string[] = [];
  let skipped = 0;
  await seeEveryTagOnce(ctx);
  for (let repetition = 1; repetition <= ctx.sizes.repetitions; repetition += 1) {
    for (const caseId of caseIds) {
      if (budget.isSpent()) {
        skipped += 1;
        continue;
      }
      let measured: { sample: Sample; extra: Extra };
      try {
        measured = await measureCase(ctx, caseId, repetition);
      } catch (error) {
        if (ctx.options.signal.aborted) throw error;
        // One failed measurement (say, readings not all stored in time) is reported, not fatal.
        const reason = error instanceof Error ? error.message : String(error);
        failures.push(`${label}, rep ${repetition}, ${caseId}: ${reason}`);
        log(`rep ${repetition} ${caseId} FAILED: ${reason}`);
        continue;
      }
      const { sample, extra } = measured;
      samples.get(caseId)?.push(sample);
      extras.push(extra);
      log(
        `rep ${repetition} ${caseId}: ${formatCount(sample.count)} in ${formatSeconds(sample.elapsedMs)} = ` +
          `${formatCount(sample.perSecond)}/s` +
          (extra.lagP99Ms === null
            ? ''
            : `, commit lag p50 ${extra.lagP50Ms?.toFixed(1)} ms p99 ${extra.lagP99Ms.toFixed(1)} ms`) +
          `, CPU ${extra.cpuCores.toFixed(2)} cores (${extra.cpuUsPerMessage.toFixed(0)} µs/msg), RSS peak ${extra.rssPeakMb.toFixed(0)} MB` +
          (sample.stoppedByTimeCap ? ' (time cap)' : ''),
      );
    }
  }
  const cases: CaseSamples[] = caseIds.map((id) => ({
    id,
    label: caseLabels[id](ctx.sizes),
    samples: samples.get(id) ?? [],
  }));
  return { group: summarizeGroup(label, 'broker-only', cases), extras, skipped, failures };
}

// ---------------------------------------------------------------------------------------------
// The suite.

const fmtMs = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : `${value.toFixed(value < 10 ? 1 : 0)} ms`;

const cores = (value: number | null): string =>
  value === null ? '-' : `${value.toFixed(2)} cores`;

function medianOf(values: readonly (number | null)[]): number | null {
  return median(values.filter((v): v is number => v !== null));
}

function extraTable(
  outcomes: readonly { label: string; extras: readonly Extra[] }[],
  sizes: Sizes,
): string[] {
  const rows: string[][] = [
    [
      'group / case',
      'commit lag p50',
      'p99',
      'PUBACK p50',
      'p99',
      'service CPU',
      'µs/reading',
      'service RSS peak',
      'mosquitto CPU',
      'publishers CPU',
      'redelivered',
    ],
  ];
  for (const { label, extras } of outcomes) {
    for (const caseId of ['broker-only', 'end-to-end', 'end-to-end-paced'] as const) {
      const mine = extras.filter((e) => e.caseId === caseId);
      if (mine.length === 0) continue;
      rows.push([
        `${label} / ${caseId === 'end-to-end-paced' ? `e2e @${formatCount(sizes.pacedRatePerSecond)}/s` : caseId}`,
        fmtMs(medianOf(mine.map((e) => e.lagP50Ms))),
        fmtMs(medianOf(mine.map((e) => e.lagP99Ms))),
        fmtMs(medianOf(mine.map((e) => e.pubackP50Ms))),
        fmtMs(medianOf(mine.map((e) => e.pubackP99Ms))),
        cores(medianOf(mine.map((e) => e.cpuCores))),
        (medianOf(mine.map((e) => e.cpuUsPerMessage)) ?? 0).toFixed(0),
        `${formatCount(Math.max(...mine.map((e) => e.rssPeakMb)))} MB`,
        cores(medianOf(mine.map((e) => e.brokerCpuCores))),
        cores(medianOf(mine.map((e) => e.publisherCpuCores))),
        formatCount(mine.reduce((n, e) => n + e.redelivered, 0)),
      ]);
    }
  }
  return renderTable(rows, [false, true, true, true, true, true, true, true, true, true, true]);
}

async function run(options: BenchOptions): Promise<SuiteResult> {
  const sizes = options.quick ? quickSizes : fullSizes;
  const budget = startBudget(sizes.budgetMs);
  const log = (line: string): void => options.log(`[mqtt-ingest] ${line}`);
  const groups: ResultGroup[] = [];
  const outcomes: { label: string; extras: readonly Extra[] }[] = [];
  const skipped: string[] = [];
  const environment: Record<string, string> = {};
  const caseIds: readonly CaseId[] = ['broker-only', 'end-to-end', 'end-to-end-paced'];
  const secret = 'bench-gateway-secret-not-for-production';

  const database = await createTestDatabase();
  const inner = openPgStorage({
    connectionString: database.url,
    poolMax: 4,
    applicationName: 'pledgewatch-bench',
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pledgewatch-bench-mqtt.'));
  try {
    await migrate(inner);
    await insertPortfolio(inner, secret);
    const info = await inner.info();
    environment['database'] =
      `PostgreSQL ${info.serverVersion}` +
      (info.timescaledbVersion === null ? '' : ` + TimescaleDB ${info.timescaledbVersion}`) +
      ` at ${new URL(database.url).host}, fresh database; tag_readings emptied before each end-to-end measurement (not timed)`;
    environment['load generator'] =
      'a separate Node process (mqtt.js over TCP with TCP_NODELAY, MQTT 3.1.1 gateways), forked with tsx';
    const tracker = trackCommits(inner);

    const brokers: { readonly name: string; setUp(): Promise<BrokerSetup> }[] = [
      { name: 'embedded aedes', setUp: () => setUpAedes(tracker.storage, dataDir) },
      { name: 'mosquitto', setUp: () => setUpMosquitto(tracker.storage, dataDir) },
    ];
    for (const { name, setUp } of brokers) {
      options.signal.throwIfAborted();
      if (budget.isSpent()) {
        skipped.push(`${name}: not measured, the suite's budget was spent`);
        continue;
      }
      log(`starting ${name} and the service`);
      let broker: BrokerSetup;
      try {
        broker = await setUp();
      } catch (error) {
        skipped.push(
          `${name}: could not be started (${error instanceof Error ? error.message : String(error)})`,
        );
        continue;
      }
      try {
        environment[name] =
          broker.id === 'aedes'
            ? `service's embedded aedes at ${broker.serviceUrl} (gateways authenticate with code and secret, ack after commit); baseline on a bare aedes from the same factory at ${broker.baselineUrl}`
            : `scripts/mosquitto.sh at ${broker.serviceUrl} (anonymous, set_tcp_nodelay, max_queued_messages 1000000, max_inflight_messages 1000); the service consumes via MQTT_URL with an MQTT 5 shared subscription; baseline on topic bench/#`;
        for (const connections of sizes.connectionCounts) {
          if (budget.isSpent()) {
            skipped.push(`${broker.label}, ${connections} connections: not measured, budget spent`);
            continue;
          }
          const gateways = gatewaysFor(connections, secret, broker.gatewaysAuthenticate);
          const baselinePublishers = await connectPool(broker.baselineUrl, gateways, log);
          const servicePublishers =
            broker.baselineUrl === broker.serviceUrl
              ? baselinePublishers
              : await connectPool(broker.serviceUrl, gateways, log);
          const subscriber = await subscribeCounting(broker.baselineUrl, 'bench/#', null);
          try {
            const outcome = await measureGroup(
              {
                broker,
                connections,
                baselinePublishers,
                servicePublishers,
                subscriber,
                tracker,
                storage: inner,
                sizes,
                options,
                herdId: `h${Date.now().toString(36)}`,
              },
              budget,
              caseIds,
            );
            groups.push(outcome.group);
            outcomes.push({ label: outcome.group.label, extras: outcome.extras });
            skipped.push(...outcome.failures);
            if (outcome.skipped > 0) {
              skipped.push(
                `${outcome.group.label}: ${outcome.skipped} measurements skipped, the suite's ${formatSeconds(sizes.budgetMs)} budget was spent`,
              );
            }
          } finally {
            await subscriber.close();
            await baselinePublishers.close();
            if (servicePublishers !== baselinePublishers) await servicePublishers.close();
          }
        }
      } finally {
        await broker.close();
      }
    }
  } finally {
    await inner.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }

  const notes: string[] = [
    'lag, CPU and memory (medians over the repetitions; RSS: the highest peak):',
    ...extraTable(outcomes, sizes),
  ];
  for (const group of groups) {
    const e2e = group.cases.find((c) => c.id === 'end-to-end');
    if (e2e?.ratioToBaseline !== null && e2e?.ratioToBaseline !== undefined) {
      notes.push(
        `${group.label}: end to end ran at ${e2e.ratioToBaseline.toFixed(2)}× the broker-only rate ` +
          `(target ≥ 0.60×)${e2e.ratioToBaseline >= 0.6 ? '' : ': BELOW TARGET'}`,
      );
    }
  }
  for (const { label, extras } of outcomes) {
    const p99 = medianOf(
      extras.filter((e) => e.caseId === 'end-to-end-paced').map((e) => e.lagP99Ms),
    );
    if (p99 !== null) {
      notes.push(
        `${label}: p99 publish-to-commit at ${formatCount(sizes.pacedRatePerSecond)} readings/s offered: ` +
          `${fmtMs(p99)} (target < 100 ms)${p99 < 100 ? '' : ': ABOVE TARGET'}`,
      );
    }
  }

  return {
    suite: 'mqtt-ingest',
    title: 'MQTT ear-tag readings end to end (publish -> validated -> committed) vs broker only',
    unit: 'readings/s',
    method: [
      `Each measurement publishes up to ${formatCount(sizes.readingsPerMeasurement)} single-reading ` +
        `messages at QoS 1, spread round-robin over the group's gateway connections, from a separate ` +
        `Node process (mqtt.js, TCP_NODELAY); at most ${formatCount(totalWindow)} unacknowledged messages ` +
        `in all (at least 2 per connection). Publishing stops at ${formatSeconds(sizes.maxMsPerMeasurement)}.`,
      `The readings cycle over a herd population of ${formatCount(sizes.tagPopulation)} ear tags (each at a ` +
        `fixed place, reporting again and again); each tag's first reading goes through the service ` +
        `before the group's measurements (not timed), so the edge knows every tag's last fix, as a ` +
        `running service knows its herds. (A tag seen for the first time costs a lookup of its last ` +
        `stored fix; the figures do not include that first sighting.)`,
      `Broker only (baseline): the same publishers and broker software, topic bench/..., a subscriber ` +
        `(QoS 1, in the service's process, no other work) that only counts; rate = delivered / ` +
        `(last delivery - first publish).`,
      `End to end: into the service's MQTT edge (validation, the batcher at its default linger, one ` +
        `insert per batch into TimescaleDB, COPY from 2,000 rows); ` +
        `rate = committed / (last commit - first publish). Commit time is taken in the service by ` +
        `wrapping its Storage (each batch's commit); lag = commit - publish time (the ` +
        `reading's observedAt). PUBACK lag is publish -> PUBACK at the publisher: after commit on the ` +
        `embedded broker, on arrival at mosquitto.`,
      `The paced case offers ${formatCount(sizes.pacedRatePerSecond)} readings/s in total (the p99 lag ` +
        `target applies there); the unpaced cases publish as fast as acknowledged.`,
      `Service CPU: process.cpuUsage() of this process over the measurement / wall time (1.00 = one ` +
        `core; with the embedded broker it includes aedes), and that CPU time per message ` +
        `(µs/reading; the baseline's counting subscriber runs in this process too); RSS: peak ` +
        `sampled every 25 ms.`,
      `Median and min–max of ${sizes.repetitions} repetition(s), cases round-robin; every end-to-end ` +
        `measurement is checked against count(*) of tag_readings.`,
    ],
    environment,
    parameters: { ...sizes, totalWindow, farmCount, measurements: outcomes },
    groups,
    notes,
    skipped,
  };
}

export const mqttIngest: BenchSuite = {
  name: 'mqtt-ingest',
  title: 'MQTT ingest end to end vs broker only',
  needsDatabaseServer: true,
  run,
};
