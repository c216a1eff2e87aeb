/**
 * A COG decode worker thread (see `decode-pool.ts`): for each posted `DecodeRequest`, decodes the
 * block (`decodeBlockPixels`) and answers one `DecodeReply` with the same id, the values' buffer
 * transferred. Never throws: errors go back as outcomes. Loaded through `decode-worker-boot.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  DecoderState,
  decodeBlockPixels,
  type BlockJob,
  type BlockOutcome,
} from './decode-block.ts';
import { setInflateSetting, type InflateSetting } from './native-inflate.ts';

export interface DecodeRequest {
  readonly id: number;
  readonly job: BlockJob;
}

/** What the pool tells a worker when it starts it: the process's inflater setting. */
export interface DecodeWorkerData {
  readonly inflate: InflateSetting;
}

export interface DecodeReply {
  readonly id: number;
  readonly outcome: BlockOutcome;
}

const port = parentPort;
if (port === null) throw new Error('decode-worker.ts must run in a worker thread');
setInflateSetting((workerData as DecodeWorkerData).inflate);
// One inflater and one set of buffers per thread, reused by every job.
const state = new DecoderState();
port.on('message', ({ id, job }: DecodeRequest) => {
  const outcome = decodeBlockPixels(job, state);
  const reply: DecodeReply = { id, outcome };
  port.postMessage(reply, outcome.ok ? [outcome.values.buffer as ArrayBuffer] : []);
});
