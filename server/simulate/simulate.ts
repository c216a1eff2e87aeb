import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { topicFor } from '../../iot/index.ts';
import type { Polygon } from '../../geo/index.ts';
import {
  cameraCount,
  createHerd,
  createRandom,
  stealAnimals,
  stepHerd,
  type SimAnimal,
} from './herd-model.ts';

export interface SimFarm {
  readonly code: string;
  readonly gatewayCode: string;
  readonly secret: string;
  readonly fence: Polygon;
  readonly cameraCodes: readonly string[];
  /** Tag ids to use first (e.g. the farm's pledged tags); more are made up as needed. */
  readonly tagIds?: readonly string[];
}

export interface SimulateOptions {
  readonly brokerUrl: string;
  readonly farms: readonly SimFarm[];
  readonly animalsPerFarm: number;
  readonly intervalMs: number;
  /** Stop after this many ticks (default: run until aborted). */
  readonly ticks?: number;
  /** Theft: this many animals of the first farm walk out together at tick `theftAtTick`. */
  readonly theftCount?: number;
  readonly theftAtTick?: number;
  /** This many tags per farm fail (stop reporting) at tick `failAtTick`. */
  readonly failingTags?: number;
  readonly failAtTick?: number;
  /** Share of the animals every camera misses, 0-1 (default 0). */
  readonly cameraUndercount?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  /** Called after each tick's messages are acknowledged. */
  readonly onTick?: (tick: SimTick) => void;
}

export interface SimTick {
  readonly tick: number;
  readonly readingsSent: number;
  readonly countsSent: number;
  readonly events: readonly string[];
}

export interface SimulateSummary {
  readonly ticks: number;
  readonly readingsSent: number;
  readonly countsSent: number;
}

function connectGateway(brokerUrl: string, farm: SimFarm): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(brokerUrl, {
      username: farm.gatewayCode,
      password: farm.secret,
      clientId: `${farm.gatewayCode}-sim-${process.pid}`,
      clean: true,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(new Error(`cannot connect to ${brokerUrl} as ${farm.gatewayCode}`, { cause: error }));
    });
  });
}

/**
 * Simulates farm gateways: M animals per farm graze inside the farm's geofence and each tick
 * every gateway publishes one QoS 1 batch of its tags' fixes and one count per camera. Scenario
 * switches: theft (k animals of the first farm walk out together), failing tags (k per farm go
 * silent), and cameras that undercount by a share.
 */
export async function simulateFarms(options: SimulateOptions): Promise<SimulateSummary> {
  const random = createRandom(options.seed ?? 1);
  const now = options.now ?? (() => new Date());
  const herds = new Map<string, SimAnimal[]>();
  for (const farm of options.farms) {
    const tagIds = Array.from(
      { length: options.animalsPerFarm },
      (_, i) => farm.tagIds?.[i] ?? `SIM-${farm.code}-${String(i + 1).padStart(4, '0')}`,
    );
    herds.set(farm.code, createHerd(tagIds, farm.fence, random));
  }
  const clients = new Map<string, MqttClient>();
  let readingsSent = 0;
  let countsSent = 0;
  let tick = 0;
  try {
    for (const farm of options.farms)
      clients.set(farm.code, await connectGateway(options.brokerUrl, farm));
    while (options.ticks === undefined || tick < options.ticks) {
      options.signal?.throwIfAborted();
      const events: string[] = [];
      const observedAt = now().toISOString();
      const publishing: Promise<unknown>[] = [];
      let tickReadings = 0;
      let tickCounts = 0;
      for (const [index, farm] of options.farms.entries()) {
        const herd = herds.get(farm.code) ?? [];
        if (index === 0 && (options.theftCount ?? 0) > 0 && tick === (options.theftAtTick ?? 0)) {
          const taken = stealAnimals(herd, options.theftCount ?? 0, random);
          events.push(`theft on ${farm.code}: ${taken.map((a) => a.tagId).join(', ')}`);
        }
        if ((options.failingTags ?? 0) > 0 && tick === (options.failAtTick ?? 0)) {
          const failing = herd.filter((a) => !a.failed).slice(-(options.failingTags ?? 0));
          for (const animal of failing) animal.failed = true;
          events.push(`tags failed on ${farm.code}: ${failing.map((a) => a.tagId).join(', ')}`);
        }
        if (tick > 0) stepHerd(herd, farm.fence, random);
        const client = clients.get(farm.code);
        if (client === undefined) continue;
        const readings = herd
          .filter((a) => !a.failed)
          .map((a) => ({
            tagId: a.tagId,
            observedAt,
            lon: Number(a.position[0].toFixed(7)),
            lat: Number(a.position[1].toFixed(7)),
            batteryPct: 80,
          }));
        if (readings.length > 0) {
          publishing.push(
            client.publishAsync(topicFor.tagBatch(farm.code), JSON.stringify({ readings }), {
              qos: 1,
            }),
          );
          tickReadings += readings.length;
        }
        for (const camera of farm.cameraCodes) {
          const count = cameraCount(herd, farm.fence, options.cameraUndercount ?? 0);
          publishing.push(
            client.publishAsync(
              topicFor.cameraCount(farm.code, camera),
              JSON.stringify({ observedAt, species: 'cattle', count }),
              { qos: 1 },
            ),
          );
          tickCounts++;
        }
      }
      await Promise.all(publishing);
      readingsSent += tickReadings;
      countsSent += tickCounts;
      options.onTick?.({ tick, readingsSent: tickReadings, countsSent: tickCounts, events });
      tick++;
      if (options.ticks === undefined || tick < options.ticks) {
        await sleep(options.intervalMs, undefined, { signal: options.signal });
      }
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.endAsync()));
  }
  return { ticks: tick, readingsSent, countsSent };
}
