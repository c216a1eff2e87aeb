/**
 * A COG decode worker thread (see `decode-pool.ts`): for each posted `DecodeRequest`, decodes the
 * block (`decodeBlockPixels`) and answers one `DecodeReply` with the same id, the values' buffer
 * transferred. Never throws: errors go back as outcomes. Loaded through `decode-worker-boot.js`.
 */
import { parentPort } from 'node:worker_threads';
import { decodeBlockPixels, type BlockJob, type BlockOutcome } from './decode-block.ts';

export interface DecodeRequest {
  readonly id: number;
  readonly job: BlockJob;
}

export interface DecodeReply {
  readonly id: number;
  readonly outcome: BlockOutcome;
}

const port = parentPort;
if (port === null) throw new Error('decode-worker.ts must run in a worker thread');
// One read buffer per thread, reused by every job (grown to the largest block seen).
let scratch: Buffer = Buffer.allocUnsafeSlow(1 << 18);
port.on('message', ({ id, job }: DecodeRequest) => {
  const decoded = decodeBlockPixels(job, scratch);
  scratch = decoded.scratch;
  const reply: DecodeReply = { id, outcome: decoded.outcome };
  port.postMessage(reply, decoded.outcome.ok ? [decoded.outcome.values.buffer as ArrayBuffer] : []);
});
