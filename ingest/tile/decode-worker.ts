/**
 * A COG decode worker thread (see `decode-pool.ts`): decodes each posted block
 * (`decodeBlockPixels`) and answers with the values' buffer transferred. Never throws: errors go
 * back as outcomes.
 */
import { poolWorkerData, serveJobs } from '../threads/serve-jobs.ts';
import {
  DecoderState,
  decodeBlockPixels,
  type BlockJob,
  type BlockOutcome,
} from './decode-block.ts';
import { setInflateSetting, type InflateSetting } from './native-inflate.ts';

/** What the pool tells a worker when it starts it: the process's inflater setting. */
export interface DecodeWorkerData {
  readonly inflate: InflateSetting;
}

setInflateSetting(poolWorkerData<DecodeWorkerData>().inflate);
// One inflater and one set of buffers per thread, reused by every job.
const state = new DecoderState();
serveJobs<BlockJob, BlockOutcome>((job) => {
  const outcome = decodeBlockPixels(job, state);
  return { outcome, transfer: outcome.ok ? [outcome.values.buffer as ArrayBuffer] : [] };
});
