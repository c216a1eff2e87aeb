/** CPU and memory of this process (the service, in the bench's process) over one measurement. */
import { performance } from 'node:perf_hooks';

export interface ResourceUse {
  /** CPU time over wall time: 1.0 = one core busy. */
  readonly cpuCores: number;
  readonly rssPeakMb: number;
}

export function watchResources(): { stop(): ResourceUse } {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 25);
  return {
    stop: () => {
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      const cpu = process.cpuUsage(cpuStart);
      const wallMs = performance.now() - wallStart;
      return {
        cpuCores: wallMs > 0 ? (cpu.user + cpu.system) / 1000 / wallMs : 0,
        rssPeakMb: rssPeak / 2 ** 20,
      };
    },
  };
}
