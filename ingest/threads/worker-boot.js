// Entry of every ingest worker thread. Node 20 cannot run TypeScript, and loader hooks registered
// in the main thread do not reach a worker: register tsx here, then load the worker's module,
// which `ThreadPool` names in the worker data.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
