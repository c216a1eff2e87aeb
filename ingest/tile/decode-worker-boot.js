// Entry of a COG decode worker thread. Node 20 cannot run TypeScript, and loader hooks registered
// in the main thread do not reach a worker: register tsx here, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
