/**
 * The only module that reads the environment. `loadConfig` parses it once into a frozen, typed
 * Config and reports every problem at once (`PW_HTTP_PORT: expected integer 0-65535, got "abc"`).
 */
import path from 'node:path';
import { ConfigError } from './errors.ts';
import type { InflateSetting } from '../ingest/index.ts';
import type { LogLevel } from './logger.ts';

export interface Config {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    /** Believe X-Forwarded-For / X-Forwarded-Proto: only behind a reverse proxy that sets them. */
    readonly trustProxy: boolean;
  };
  /** Folder for the embedded database and other local state. */
  readonly dataDir: string;
  /** TimescaleDB/PostgreSQL URL; null selects the embedded PGlite database in `dataDir`. */
  readonly databaseUrl: string | null;
  readonly dbPoolMax: number;
  readonly mqtt: {
    /** External broker URL; null runs the embedded broker. */
    readonly url: string | null;
    readonly host: string;
    readonly port: number;
    readonly wsPort: number;
    /** Largest MQTT message payload accepted (a larger one is rejected and recorded). */
    readonly maxPayloadBytes: number;
    /** PEM files that switch the embedded broker's TCP listener to TLS; both or neither. */
    readonly tlsKeyFile: string | null;
    readonly tlsCertFile: string | null;
    /** MQTT 5 shared-subscription group with an external broker, so instances split the load. */
    readonly sharedGroup: string;
    /** Client id on an external broker, stable per instance (its session queues messages). */
    readonly clientId: string | null;
    /**
     * Unacknowledged messages the service holds from an external broker (its MQTT 5 Receive
     * Maximum): with acks only after commit, throughput is at most this many per commit cycle.
     */
    readonly maxInFlight: number;
  };
  readonly ingest: {
    readonly maxReadingsPerRequest: number;
    /** Fastest believable animal: a tag fix implying a faster move is an `impossible_jump`. */
    readonly maxAnimalSpeedKmh: number;
    /** A batch of readings starts at most this often (ms) under a steady stream. */
    readonly lingerMs: number;
  };
  /** Camera frames (`farms/{farmId}/cameras/{cameraId}/frame`), counted by an ONNX detector. */
  readonly camera: {
    /** Path of the YOLOX `.onnx` detector; null: no detector, frames are rejected with a reason. */
    readonly detectorModel: string | null;
    /** Smallest detection score (objectness × class) counted as an animal, in (0, 1]. */
    readonly detectorMinScore: number;
    /** Largest JPEG frame accepted (frames are not JSON: PW_MQTT_MAX_PAYLOAD_BYTES is not theirs). */
    readonly maxFrameBytes: number;
  };
  /** For the field tools (`pledgewatch replay`/`simulate`): the gateway's secret; never printed. */
  readonly gatewaySecret: string | null;
  readonly auth: {
    readonly sessionTtlMs: number;
    /** Mark the session cookie Secure even on plain-HTTP requests (TLS ends at a proxy). */
    readonly sessionCookieSecure: boolean;
    /** Failed logins are counted over this sliding window. */
    readonly loginWindowMs: number;
    readonly loginMaxFailuresPerEmail: number;
    readonly loginMaxFailuresPerIp: number;
  };
  readonly alerts: {
    /** How often the alert engine sweeps for time-based conditions (silence, coverage...). */
    readonly evaluationIntervalMs: number;
    /** How often unacknowledged critical alerts are checked against their deadline. */
    readonly escalationIntervalMs: number;
  };
  /** The map's basemap; `basemapUrl` null: none, the map makes no request outside the service. */
  readonly map: {
    /** An XYZ tile URL template ({z}/{x}/{y}) or a WMTS GetCapabilities URL. */
    readonly basemapUrl: string | null;
    readonly basemapType: 'xyz' | 'wmts';
    /** The WMTS layer identifier (needed for wmts). */
    readonly basemapLayer: string | null;
    readonly basemapAttribution: string | null;
  };
  /** The alert outbox worker (webhook and MQTT subscriptions). */
  readonly delivery: {
    /** Tries before a delivery is dead (visible in the API, retried only by a call). */
    readonly maxAttempts: number;
    /** Longest wait for a webhook's answer. */
    readonly timeoutMs: number;
    /** Retry n waits a random time in [0, min(backoffMaxMs, backoffBaseMs * 2^(n-1))]. */
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    /** How often the worker looks for due deliveries when nothing wakes it. */
    readonly pollIntervalMs: number;
  };
  /** GET /api/alerts/stream (Server-Sent Events). */
  readonly alertStream: {
    readonly heartbeatIntervalMs: number;
    /** Events queued for one slow client before it is dropped (it resumes with Last-Event-ID). */
    readonly maxBufferedEvents: number;
  };
  /** The satellite job: STAC scenes over the portfolio's parcels, classified on a schedule. */
  readonly satellite: {
    /** STAC catalogs, collections, items or folders (paths or URLs); null: the demo scenes when
     * the demo seed is on, else none. */
    readonly stacSources: readonly string[] | null;
    readonly intervalMs: number;
    /** The ONNX crop-type model. */
    readonly cropModel: string;
    /** What inflates COG blocks (see `ingest/tile/native-inflate.ts`). */
    readonly inflate: InflateSetting;
  };
  /** The post-loan report. */
  readonly report: {
    /** The Chromium that prints report PDFs; null: /usr/bin/chromium when it exists. */
    readonly chromiumPath: string | null;
  };
  readonly demoSeed: boolean;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** One variable's parser: returns the value or a rule the raw text broke. */
type Parser<T> = (raw: string) => { ok: true; value: T } | { ok: false; rule: string };

export const parsers = {
  str:
    (options: { minLength?: number } = {}): Parser<string> =>
    (raw) =>
      raw.length >= (options.minLength ?? 1)
        ? { ok: true, value: raw }
        : { ok: false, rule: `expected at least ${options.minLength ?? 1} characters` },
  int:
    (options: { min: number; max: number }): Parser<number> =>
    (raw) => {
      const value = Number(raw);
      return /^-?\d+$/.test(raw.trim()) && value >= options.min && value <= options.max
        ? { ok: true, value }
        : { ok: false, rule: `expected integer ${options.min}-${options.max}` };
    },
  ms:
    (options: { min: number; max: number }): Parser<number> =>
    (raw) => {
      const value = Number(raw);
      return /^\d+$/.test(raw.trim()) && value >= options.min && value <= options.max
        ? { ok: true, value }
        : { ok: false, rule: `expected milliseconds ${options.min}-${options.max}` };
    },
  num:
    (options: { min: number; max: number }): Parser<number> =>
    (raw) => {
      const value = Number(raw);
      return /^-?(\d+\.?\d*|\.\d+)$/.test(raw.trim()) &&
        value >= options.min &&
        value <= options.max
        ? { ok: true, value }
        : { ok: false, rule: `expected a number ${options.min}-${options.max}` };
    },
  bool: (): Parser<boolean> => (raw) =>
    raw === 'true' || raw === 'false'
      ? { ok: true, value: raw === 'true' }
      : { ok: false, rule: 'expected true or false' },
  url:
    (protocols: readonly string[]): Parser<string> =>
    (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        return { ok: false, rule: `expected a URL (${protocols.join(', ')})` };
      }
      return protocols.includes(parsed.protocol.replace(/:$/, ''))
        ? { ok: true, value: raw }
        : { ok: false, rule: `expected a URL with scheme ${protocols.join(' or ')}` };
    },
  oneOf:
    <T extends string>(values: readonly T[]): Parser<T> =>
    (raw) =>
      (values as readonly string[]).includes(raw)
        ? { ok: true, value: raw as T }
        : { ok: false, rule: `expected one of ${values.join(', ')}` },
};

/** Every variable the service reads, with its default (null: unset by default). */
export const variables = {
  PW_HTTP_HOST: { default: '127.0.0.1', doc: 'Address the HTTP API and map listen on.' },
  PW_HTTP_PORT: { default: '8080', doc: 'HTTP port (0 picks a free one).' },
  PW_HTTP_BODY_LIMIT_BYTES: { default: '1048576', doc: 'Largest accepted request body.' },
  PW_HTTP_TRUST_PROXY: {
    default: 'false',
    doc: 'Believe X-Forwarded-For/-Proto (client address, https) from a reverse proxy in front.',
  },
  PW_DATA_DIR: { default: '.data', doc: 'Folder for the embedded database and local state.' },
  DATABASE_URL: {
    default: null,
    doc: 'TimescaleDB/PostgreSQL URL; unset uses the embedded PGlite database in PW_DATA_DIR.',
  },
  PW_DB_POOL_MAX: { default: '10', doc: 'Largest number of PostgreSQL connections.' },
  MQTT_URL: { default: null, doc: 'External MQTT broker; unset runs the embedded broker.' },
  PW_MQTT_HOST: { default: '127.0.0.1', doc: 'Address the embedded MQTT broker listens on.' },
  PW_MQTT_PORT: { default: '1883', doc: 'Embedded broker MQTT/TCP port.' },
  PW_MQTT_WS_PORT: { default: '8083', doc: 'Embedded broker MQTT-over-WebSocket port.' },
  PW_MQTT_MAX_PAYLOAD_BYTES: { default: '262144', doc: 'Largest MQTT payload accepted.' },
  PW_MQTT_TLS_KEY_FILE: {
    default: null,
    doc: 'PEM key: the embedded broker speaks TLS on its TCP port.',
  },
  PW_MQTT_TLS_CERT_FILE: { default: null, doc: 'PEM certificate for PW_MQTT_TLS_KEY_FILE.' },
  PW_MQTT_SHARED_GROUP: {
    default: 'pledgewatch',
    doc: 'Shared-subscription group on an external broker.',
  },
  PW_MQTT_CLIENT_ID: {
    default: null,
    doc: 'Client id on an external broker; unset: pledgewatch-<host name>. One per instance.',
  },
  PW_MQTT_MAX_IN_FLIGHT: {
    default: '4000',
    doc: 'Unacknowledged messages the service takes from an external broker at once (its Receive Maximum).',
  },
  PW_INGEST_MAX_READINGS: { default: '10000', doc: 'Most readings accepted in one request.' },
  PW_INGEST_LINGER_MS: {
    default: '10',
    doc: 'A batch of readings starts at most this often (ms) under a steady stream: fewer, bigger writes. 0: as soon as a write slot is free.',
  },
  PW_MAX_ANIMAL_SPEED_KMH: {
    default: '60',
    doc: 'Fastest believable animal (km/h): a tag fix implying a faster move is rejected (impossible_jump).',
  },
  PW_CAMERA_DETECTOR_MODEL: {
    default: null,
    doc: 'YOLOX ONNX detector that counts camera frames; unset: frames are rejected (not counted).',
  },
  PW_CAMERA_DETECTOR_MIN_SCORE: {
    default: '0.3',
    doc: 'Smallest detection score (objectness × class, 0-1) counted as an animal.',
  },
  PW_CAMERA_MAX_FRAME_BYTES: { default: '4194304', doc: 'Largest camera frame (JPEG) accepted.' },
  PW_GATEWAY_SECRET: {
    default: null,
    doc: 'Gateway secret for `pledgewatch replay`/`simulate` (or --secret-file); not used by the service.',
  },
  PW_SESSION_TTL_MS: { default: '43200000', doc: 'How long a web session lasts after login.' },
  PW_SESSION_COOKIE_SECURE: {
    default: 'false',
    doc: 'Always mark the session cookie Secure (https requests get it anyway).',
  },
  PW_LOGIN_WINDOW_MS: { default: '900000', doc: 'Window over which failed logins are counted.' },
  PW_LOGIN_MAX_FAILURES_PER_EMAIL: {
    default: '5',
    doc: 'Failed logins for one email in the window before 429.',
  },
  PW_LOGIN_MAX_FAILURES_PER_IP: {
    default: '20',
    doc: 'Failed logins from one client address in the window before 429.',
  },
  PW_ALERT_EVALUATION_INTERVAL_MS: {
    default: '60000',
    doc: 'How often the alert engine sweeps herds for time-based conditions (silent tags...).',
  },
  PW_ALERT_ESCALATION_INTERVAL_MS: {
    default: '30000',
    doc: 'How often critical alerts past their ack deadline are escalated, and conditions past their minimum duration raised or cleared.',
  },
  PW_MAP_BASEMAP_URL: {
    default: null,
    doc: 'Map basemap: an XYZ tile URL template ({z}/{x}/{y}) or a WMTS GetCapabilities URL; unset: none, the map makes no request outside the service.',
  },
  PW_MAP_BASEMAP_TYPE: { default: 'xyz', doc: 'How to read PW_MAP_BASEMAP_URL: xyz or wmts.' },
  PW_MAP_BASEMAP_LAYER: { default: null, doc: 'The WMTS layer identifier (with wmts).' },
  PW_MAP_BASEMAP_ATTRIBUTION: {
    default: null,
    doc: "The basemap's attribution shown on the map.",
  },
  PW_DELIVERY_MAX_ATTEMPTS: {
    default: '12',
    doc: 'Tries of a webhook or MQTT alert delivery before it is dead.',
  },
  PW_DELIVERY_TIMEOUT_MS: { default: '10000', doc: 'Longest wait for a webhook’s answer.' },
  PW_DELIVERY_BACKOFF_BASE_MS: {
    default: '1000',
    doc: 'First retry delay bound; doubles per try, full jitter.',
  },
  PW_DELIVERY_BACKOFF_MAX_MS: { default: '3600000', doc: 'Largest retry delay bound.' },
  PW_DELIVERY_POLL_INTERVAL_MS: {
    default: '1000',
    doc: 'How often the delivery worker looks for due deliveries.',
  },
  PW_SSE_HEARTBEAT_INTERVAL_MS: {
    default: '15000',
    doc: 'Comment line sent on idle alert streams.',
  },
  PW_SSE_MAX_BUFFERED_EVENTS: {
    default: '1000',
    doc: 'Events queued for a slow alert-stream client before it is dropped.',
  },
  PW_STAC_SOURCES: {
    default: null,
    doc: 'Comma-separated STAC catalogs, collections, items or folders (paths or http(s) URLs) the satellite job reads; unset: the demo scenes when PW_DEMO_SEED is true, else none.',
  },
  PW_SATELLITE_INTERVAL_MS: {
    default: '3600000',
    doc: 'How often the satellite job looks for new scenes.',
  },
  PW_CROP_MODEL: {
    default: 'fixtures/models/crop-type.onnx',
    doc: 'The ONNX crop-type model the satellite job classifies with.',
  },
  PW_INFLATE: {
    default: 'auto',
    doc: 'What inflates COG blocks: auto (libdeflate when its addon is built, else zlib), libdeflate (fail without the addon) or zlib.',
  },
  PW_CHROMIUM_PATH: {
    default: null,
    doc: 'The Chromium (or Chrome) executable that prints report PDFs; unset: /usr/bin/chromium when it exists.',
  },
  PW_DEMO_SEED: { default: 'true', doc: 'Load the demo portfolio into an empty database.' },
  PW_LOG_LEVEL: { default: 'info', doc: 'debug, info, warn or error.' },
  PW_SHUTDOWN_TIMEOUT_MS: { default: '10000', doc: 'Longest wait for in-flight work at stop.' },
} as const satisfies Record<string, { default: string | null; doc: string }>;

type VariableName = keyof typeof variables;

/**
 * Parses `env` into a Config. Throws ConfigError listing every invalid variable.
 * @example loadConfig({ PW_HTTP_PORT: '9000' }).http.port // 9000
 */
export function loadConfig(env: Env, options: { cwd?: string } = {}): Config {
  const problems: string[] = [];
  function read<T>(name: VariableName, parse: Parser<T>): T;
  function read<T>(name: VariableName, parse: Parser<T>, optional: true): T | null;
  function read<T>(name: VariableName, parse: Parser<T>, optional = false): T | null {
    const raw = env[name] ?? variables[name].default;
    if (raw === null || (optional && raw === '')) return null;
    const result = parse(raw);
    if (result.ok) return result.value;
    problems.push(`${name}: ${result.rule}, got ${JSON.stringify(raw)}`);
    return undefined as T;
  }

  const cwd = options.cwd ?? process.cwd();
  const detectorModel = read('PW_CAMERA_DETECTOR_MODEL', parsers.str(), true);
  const stacSources = read('PW_STAC_SOURCES', parsers.str(), true);
  const chromiumPath = read('PW_CHROMIUM_PATH', parsers.str(), true);
  const config: Config = {
    http: {
      host: read('PW_HTTP_HOST', parsers.str()),
      port: read('PW_HTTP_PORT', parsers.int({ min: 0, max: 65535 })),
      bodyLimitBytes: read('PW_HTTP_BODY_LIMIT_BYTES', parsers.int({ min: 1024, max: 1 << 30 })),
      trustProxy: read('PW_HTTP_TRUST_PROXY', parsers.bool()),
    },
    dataDir: path.resolve(cwd, read('PW_DATA_DIR', parsers.str())),
    databaseUrl: read('DATABASE_URL', parsers.url(['postgres', 'postgresql']), true),
    dbPoolMax: read('PW_DB_POOL_MAX', parsers.int({ min: 1, max: 1000 })),
    mqtt: {
      url: read('MQTT_URL', parsers.url(['mqtt', 'mqtts', 'ws', 'wss']), true),
      host: read('PW_MQTT_HOST', parsers.str()),
      port: read('PW_MQTT_PORT', parsers.int({ min: 0, max: 65535 })),
      wsPort: read('PW_MQTT_WS_PORT', parsers.int({ min: 0, max: 65535 })),
      maxPayloadBytes: read(
        'PW_MQTT_MAX_PAYLOAD_BYTES',
        parsers.int({ min: 256, max: 256 * 1024 * 1024 }),
      ),
      tlsKeyFile: read('PW_MQTT_TLS_KEY_FILE', parsers.str(), true),
      tlsCertFile: read('PW_MQTT_TLS_CERT_FILE', parsers.str(), true),
      sharedGroup: read('PW_MQTT_SHARED_GROUP', parsers.str()),
      clientId: read('PW_MQTT_CLIENT_ID', parsers.str(), true),
      maxInFlight: read('PW_MQTT_MAX_IN_FLIGHT', parsers.int({ min: 1, max: 65535 })),
    },
    ingest: {
      maxReadingsPerRequest: read(
        'PW_INGEST_MAX_READINGS',
        parsers.int({ min: 1, max: 1_000_000 }),
      ),
      maxAnimalSpeedKmh: read('PW_MAX_ANIMAL_SPEED_KMH', parsers.int({ min: 1, max: 1_000 })),
      lingerMs: read('PW_INGEST_LINGER_MS', parsers.int({ min: 0, max: 1_000 })),
    },
    camera: {
      detectorModel: detectorModel === null ? null : path.resolve(cwd, detectorModel),
      detectorMinScore: read('PW_CAMERA_DETECTOR_MIN_SCORE', parsers.num({ min: 0.01, max: 1 })),
      maxFrameBytes: read(
        'PW_CAMERA_MAX_FRAME_BYTES',
        parsers.int({ min: 1024, max: 64 * 1024 * 1024 }),
      ),
    },
    gatewaySecret: read('PW_GATEWAY_SECRET', parsers.str(), true),
    auth: {
      sessionTtlMs: read('PW_SESSION_TTL_MS', parsers.ms({ min: 60_000, max: 30 * 86_400_000 })),
      sessionCookieSecure: read('PW_SESSION_COOKIE_SECURE', parsers.bool()),
      loginWindowMs: read('PW_LOGIN_WINDOW_MS', parsers.ms({ min: 1_000, max: 86_400_000 })),
      loginMaxFailuresPerEmail: read(
        'PW_LOGIN_MAX_FAILURES_PER_EMAIL',
        parsers.int({ min: 1, max: 1_000 }),
      ),
      loginMaxFailuresPerIp: read(
        'PW_LOGIN_MAX_FAILURES_PER_IP',
        parsers.int({ min: 1, max: 100_000 }),
      ),
    },
    alerts: {
      evaluationIntervalMs: read(
        'PW_ALERT_EVALUATION_INTERVAL_MS',
        parsers.ms({ min: 1_000, max: 86_400_000 }),
      ),
      escalationIntervalMs: read(
        'PW_ALERT_ESCALATION_INTERVAL_MS',
        parsers.ms({ min: 1_000, max: 86_400_000 }),
      ),
    },
    map: {
      basemapUrl: read('PW_MAP_BASEMAP_URL', parsers.url(['http', 'https']), true),
      basemapType: read('PW_MAP_BASEMAP_TYPE', parsers.oneOf(['xyz', 'wmts'] as const)),
      basemapLayer: read('PW_MAP_BASEMAP_LAYER', parsers.str(), true),
      basemapAttribution: read('PW_MAP_BASEMAP_ATTRIBUTION', parsers.str(), true),
    },
    delivery: {
      maxAttempts: read('PW_DELIVERY_MAX_ATTEMPTS', parsers.int({ min: 1, max: 100 })),
      timeoutMs: read('PW_DELIVERY_TIMEOUT_MS', parsers.ms({ min: 100, max: 300_000 })),
      backoffBaseMs: read('PW_DELIVERY_BACKOFF_BASE_MS', parsers.ms({ min: 1, max: 3_600_000 })),
      backoffMaxMs: read('PW_DELIVERY_BACKOFF_MAX_MS', parsers.ms({ min: 1, max: 86_400_000 })),
      pollIntervalMs: read('PW_DELIVERY_POLL_INTERVAL_MS', parsers.ms({ min: 10, max: 600_000 })),
    },
    alertStream: {
      heartbeatIntervalMs: read(
        'PW_SSE_HEARTBEAT_INTERVAL_MS',
        parsers.ms({ min: 100, max: 600_000 }),
      ),
      maxBufferedEvents: read(
        'PW_SSE_MAX_BUFFERED_EVENTS',
        parsers.int({ min: 1, max: 1_000_000 }),
      ),
    },
    satellite: {
      stacSources: stacSources === null ? null : parseSources(stacSources, cwd),
      intervalMs: read('PW_SATELLITE_INTERVAL_MS', parsers.ms({ min: 1_000, max: 7 * 86_400_000 })),
      cropModel: path.resolve(cwd, read('PW_CROP_MODEL', parsers.str())),
      inflate: read('PW_INFLATE', parsers.oneOf(['auto', 'libdeflate', 'zlib'] as const)),
    },
    report: {
      chromiumPath: chromiumPath === null ? null : path.resolve(cwd, chromiumPath),
    },
    demoSeed: read('PW_DEMO_SEED', parsers.bool()),
    logLevel: read('PW_LOG_LEVEL', parsers.oneOf(['debug', 'info', 'warn', 'error'] as const)),
    shutdownTimeoutMs: read('PW_SHUTDOWN_TIMEOUT_MS', parsers.ms({ min: 0, max: 600_000 })),
  };
  if ((config.mqtt.tlsKeyFile === null) !== (config.mqtt.tlsCertFile === null)) {
    problems.push('PW_MQTT_TLS_KEY_FILE and PW_MQTT_TLS_CERT_FILE: set both or neither');
  }
  if (
    config.map.basemapUrl !== null &&
    config.map.basemapType === 'wmts' &&
    config.map.basemapLayer === null
  ) {
    problems.push(
      'PW_MAP_BASEMAP_LAYER: expected the WMTS layer identifier with PW_MAP_BASEMAP_TYPE=wmts',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** `a.json, https://x/catalog.json`: URLs kept, paths made absolute. */
function parseSources(raw: string, cwd: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^(https?|file):/i.test(s) ? s : path.resolve(cwd, s)));
}

/** The config as safe to print: credentials in URLs are masked. */
export function redactConfig(config: Config): Config {
  const mask = (url: string | null): string | null => {
    if (url === null) return null;
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  };
  return {
    ...config,
    databaseUrl: mask(config.databaseUrl),
    gatewaySecret: config.gatewaySecret === null ? null : '***',
    mqtt: { ...config.mqtt, url: mask(config.mqtt.url) },
    // A basemap URL may carry a key in its query; kept as text so a {z}/{x}/{y} template stays readable.
    map: {
      ...config.map,
      basemapUrl:
        config.map.basemapUrl
          ?.replace(/([?&][^=&#]+=)[^&#]*/g, '$1***')
          .replace(/\/\/[^/@]*@/, '//***@') ?? null,
    },
  };
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
