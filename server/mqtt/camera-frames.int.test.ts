/**
 * Camera frames end to end over real sockets: a demo gateway publishes a real pasture-camera JPEG
 * at QoS 1 to the embedded broker; with a detector configured (the real YOLOX-Nano in
 * ../shared/data) its count is committed as camera_counts rows with source 'detector' before the
 * PUBACK; without one, the frame is recorded in rejected_messages with the reason. Skipped, saying
 * so, when the shared model or frames are absent.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAnimalDetector,
  DetectorBusyError,
  type AnimalCount,
  type AnimalDetector,
} from '../../iot/index.ts';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { silentLogger } from '../logger.ts';
import { testBackends } from '../testing/databases.ts';
import { startEmbeddedBroker } from './embedded-broker.ts';
import { createGatewayMessageHandler } from './gateway-messages.ts';
import { IngestBatcher } from './ingest-batcher.ts';
import { startMqttEdge, type MqttEndpoints } from './start-edge.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const sharedData = path.resolve(projectRoot, '../shared/data');
const modelPath = path.join(sharedData, 'models/yolox-nano-coco/yolox_nano.onnx');
// The daylight frame with 54 cattle (618 586 bytes: over PW_MQTT_MAX_PAYLOAD_BYTES's default).
const framePath = path.join(sharedData, 'camera/pasture-frames/images/16171798258909416.jpg');
const available = existsSync(modelPath) && existsSync(framePath);
if (!available) {
  console.warn(
    `skipping the camera frame MQTT tests: ${modelPath} or ${framePath} is missing (the shared test data lives next to the project, in ../shared/data)`,
  );
}

function connect(url: string, username: string, password: string, clientId: string) {
  return new Promise<MqttClient>((resolve, reject) => {
    const client = mqtt.connect(url, {
      username,
      password,
      clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

/** Resolves on the PUBACK: by then the message's rows are committed. */
function publish(client: MqttClient, topic: string, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: 1 }, (error) => (error ? reject(error) : resolve()));
  });
}

type Edge = { endpoints: MqttEndpoints; stop(timeoutMs: number): Promise<void> };

describe.skipIf(!available).each(testBackends)('camera frames over MQTT on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let withDetector: Edge;
  let withoutDetector: Edge;
  let secrets: Record<string, string>;
  let frame: Buffer;
  let expected: AnimalCount;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-frames-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    secrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    frame = await readFile(framePath);
    // What the detector returns for this frame, from a detector of our own with the same model
    // and threshold: the stored rows must say the same.
    const reference = await createAnimalDetector({ modelPath, minScore: 0.3 });
    try {
      const counted = await reference.countAnimals(frame);
      if (!counted.ok) throw new Error(`reference count failed: ${counted.error.message}`);
      expected = counted.value;
    } finally {
      await reference.close();
    }
    const base = { PW_MQTT_PORT: '0', PW_MQTT_WS_PORT: '0', PW_DATA_DIR: dataDir };
    withDetector = await startMqttEdge({
      config: loadConfig({
        ...base,
        PW_CAMERA_DETECTOR_MODEL: modelPath,
        PW_CAMERA_DETECTOR_MIN_SCORE: '0.3',
      }),
      storage,
      logger: silentLogger,
    });
    withoutDetector = await startMqttEdge({
      config: loadConfig(base),
      storage,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await withDetector?.stop(2_000);
    await withoutDetector?.stop(2_000);
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function gateway(edge: Edge, code: string): Promise<MqttClient> {
    const client = await connect(
      edge.endpoints.url,
      code,
      secrets[code] ?? '',
      `${code}-frames-${clients.length}`,
    );
    clients.push(client);
    return client;
  }

  it("stores the detector's count of a real frame, per species, before the PUBACK", async () => {
    expect(frame.length).toBeGreaterThan(loadConfig({}).mqtt.maxPayloadBytes);
    const client = await gateway(withDetector, 'GW-KRT-02');
    const sentAt = Date.now();
    await publish(client, 'farms/F-KRT-02/cameras/CAM-KRT-02-A/frame', frame);
    const { rows } = await storage.query<{
      species: string;
      head_count: number;
      confidence: number | null;
      source: string;
      observed_at: Date;
    }>(
      `select c.species, c.head_count, c.confidence, c.source, c.observed_at
         from camera_counts c join cameras k on k.id = c.camera_id
        where k.code = 'CAM-KRT-02-A' and c.source = 'detector' order by c.species`,
    );
    expect(rows.map((r) => [r.species, r.head_count, r.source])).toEqual([
      ['cattle', expected.counts.cattle, 'detector'],
      ['horse', expected.counts.horse, 'detector'],
      ['sheep', expected.counts.sheep, 'detector'],
    ]);
    const cattle = rows.find((r) => r.species === 'cattle');
    expect(cattle?.head_count).toBeGreaterThanOrEqual(1);
    expect(cattle?.confidence).toBeCloseTo(expected.confidenceBySpecies.cattle ?? -1, 5);
    // A frame has no time of its own: it is counted as of its arrival.
    expect(new Date(cattle?.observed_at ?? 0).getTime()).toBeGreaterThanOrEqual(sentAt - 1_000);
    console.info(
      `${backend.name}: frame counted ${JSON.stringify(expected.counts)} (true: 54 cattle)`,
    );
  });

  it('records a frame that is not a JPEG with the reason, and acknowledges it', async () => {
    const client = await gateway(withDetector, 'GW-KRT-02');
    await publish(client, 'farms/F-KRT-02/cameras/CAM-KRT-02-B/frame', Buffer.from('{"n": 1}'));
    const { rows } = await storage.query<{
      reason_code: string;
      reason: string;
      payload: Uint8Array;
    }>(
      `select reason_code, reason, payload from rejected_messages
        where topic = 'farms/F-KRT-02/cameras/CAM-KRT-02-B/frame'`,
    );
    expect(rows.map((r) => [r.reason_code, r.reason])).toEqual([
      [
        'invalid_payload',
        'frame is not a JPEG: starts with 7b226e223a20317d, expected ffd8ff (JPEG start of image)',
      ],
    ]);
    expect(Buffer.from(rows[0]?.payload ?? []).toString()).toBe('{"n": 1}');
  });

  it('refuses a frame from a camera that is not registered, without counting it', async () => {
    const client = await gateway(withDetector, 'GW-KRT-02');
    await publish(client, 'farms/F-KRT-02/cameras/CAM-NOPE/frame', frame);
    const { rows } = await storage.query<{ reason_code: string; reason: string }>(
      `select reason_code, reason from rejected_messages
        where topic = 'farms/F-KRT-02/cameras/CAM-NOPE/frame'`,
    );
    expect(rows).toEqual([
      { reason_code: 'unknown_device', reason: 'camera CAM-NOPE is not registered on this farm' },
    ]);
  });

  it('records a frame with the reason when no detector is configured', async () => {
    const client = await gateway(withoutDetector, 'GW-KRT-02');
    await publish(client, 'farms/F-KRT-02/cameras/CAM-KRT-02-A/frame', frame);
    const { rows } = await storage.query<{
      reason_code: string;
      reason: string;
      bytes: number;
    }>(
      `select reason_code, reason, length(payload)::int as bytes from rejected_messages
        where topic = 'farms/F-KRT-02/cameras/CAM-KRT-02-A/frame'`,
    );
    expect(rows).toEqual([
      {
        reason_code: 'not_supported',
        reason:
          'camera frames are not counted: no detector is configured (PW_CAMERA_DETECTOR_MODEL)',
        bytes: frame.length,
      },
    ]);
  });
});

describe('a frame refused by a busy detector', () => {
  it('is not acknowledged, comes again from the gateway, and is then counted once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-frames-busy-'));
    const storage = await testBackends[0]!.open(); // PGlite: this is about the MQTT flow
    const clients: MqttClient[] = [];
    const batcher = new IngestBatcher(storage);
    let calls = 0;
    // Busy the first time, then a count: what a full queue and a free one look like from outside.
    const frameCounter: Pick<AnimalDetector, 'countAnimals'> = {
      countAnimals: () => {
        calls++;
        if (calls === 1) return Promise.reject(new DetectorBusyError('busy: 4 frames wait'));
        return Promise.resolve({
          ok: true,
          value: {
            counts: { cattle: 7, sheep: 0, horse: 0 },
            confidenceBySpecies: { cattle: 0.5, sheep: null, horse: null },
            confidence: 0.5,
            detections: [],
            frameWidth: 8,
            frameHeight: 8,
            timingsMs: { queued: 0, decode: 1, inference: 1, total: 2 },
          },
        });
      },
    };
    try {
      await migrate(storage);
      await seedDemoPortfolio(storage, { dataDir });
      const secrets = JSON.parse(
        await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
      ) as Record<string, string>;
      const config = loadConfig({ PW_MQTT_PORT: '0', PW_MQTT_WS_PORT: '0', PW_DATA_DIR: dataDir });
      const handleMessage = createGatewayMessageHandler({
        storage,
        batcher,
        frameCounter,
        maxPayloadBytes: config.mqtt.maxPayloadBytes,
        logger: silentLogger,
      });
      const broker = await startEmbeddedBroker({
        config: config.mqtt,
        storage,
        batcher,
        handleMessage,
        logger: silentLogger,
      });
      try {
        // A gateway that reconnects by itself, as a real one does; mqtt.js keeps the unacknowledged
        // QoS 1 message and sends it again on the new connection.
        const client = mqtt.connect(`mqtt://${broker.tcp.host}:${broker.tcp.port}`, {
          username: 'GW-KRT-02',
          password: secrets['GW-KRT-02'] ?? '',
          clientId: 'GW-KRT-02-busy',
          clean: true,
          reconnectPeriod: 100,
          connectTimeout: 5_000,
        });
        clients.push(client);
        let reconnects = 0;
        client.on('reconnect', () => reconnects++);
        const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]);
        await publish(client, 'farms/F-KRT-02/cameras/CAM-KRT-02-B/frame', jpeg);
        expect(calls).toBe(2);
        expect(reconnects).toBeGreaterThanOrEqual(1);
        expect(broker.stats()).toMatchObject({ publishesFailed: 1 });
        const counts = await storage.query<{ species: string; head_count: number }>(
          `select c.species, c.head_count from camera_counts c join cameras k on k.id = c.camera_id
            where k.code = 'CAM-KRT-02-B' order by c.species`,
        );
        expect(counts.rows).toEqual([
          { species: 'cattle', head_count: 7 },
          { species: 'horse', head_count: 0 },
          { species: 'sheep', head_count: 0 },
        ]);
        const rejected = await storage.query<{ n: number }>(
          `select count(*)::int as n from rejected_messages where topic like '%/frame'`,
        );
        expect(rejected.rows[0]?.n).toBe(0);
      } finally {
        for (const client of clients) client.end(true);
        await broker.close();
      }
    } finally {
      await batcher.close(1_000);
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
