import type { Config } from './config.ts';
import type { Storage, StorageInfo } from './db/storage.ts';
import type { Logger } from './logger.ts';

/** What every route may use; built once by the composition root. */
export interface Services {
  readonly config: Config;
  readonly storage: Storage;
  readonly storageInfo: StorageInfo;
  readonly logger: Logger;
  readonly startedAt: Date;
}

export interface AppEnv {
  Variables: {
    requestId: string;
  };
}
