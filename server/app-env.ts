import type { Config } from './config.ts';
import type { Storage, StorageInfo } from './db/storage.ts';
import type { Logger } from './logger.ts';
import type { Principal } from './auth/principal.ts';
import type { AlertBus } from './alerts/alert-bus.ts';
import type { SatelliteJob } from './satellite/index.ts';
import type { CommittedWork } from './mqtt/ingest-batcher.ts';
import type { PdfRenderer } from './report/index.ts';

/** What every route may use; built once by the composition root. */
export interface Services {
  readonly config: Config;
  readonly storage: Storage;
  readonly storageInfo: StorageInfo;
  readonly logger: Logger;
  readonly startedAt: Date;
  /** Committed alert events, in id order, for the live channels (SSE, MQTT topics). */
  readonly alertBus: AlertBus;
  /** The scheduled satellite job; absent (tests): the satellite routes make their own. */
  readonly satellite?: SatelliteJob;
  /**
   * Called after readings posted over HTTP are committed, as the MQTT batcher's `onCommitted`
   * (the alert engine's herd monitor). Synchronous, must not throw; absent: nobody listens.
   */
  readonly onReadingsCommitted?: (work: CommittedWork) => void;
  /** Renders report PDFs (headless Chromium, launched on first use); absent: PDFs are a 503. */
  readonly pdfRenderer?: PdfRenderer;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the authentication middleware on every /api route that needs a user. */
    principal: Principal;
  };
}
