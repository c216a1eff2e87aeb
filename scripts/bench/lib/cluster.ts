import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const clusterScript = fileURLToPath(new URL('../../pg-cluster.sh', import.meta.url));

export interface ThrowawayCluster {
  readonly url: string;
  readonly dir: string;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway local cluster with `scripts/pg-cluster.sh start DIR` (TimescaleDB preloaded
 * when installed; fsync off). Its log lines pass through to our stderr; stdout is the URL.
 */
export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pledgewatch-bench-pg.'));
  let stdout: string;
  try {
    stdout = await runScript(['start', dir]);
  } catch (error) {
    // Clean up what start left behind; if that fails too, report both failures.
    const cause = await runScript(['stop', dir]).then(
      () => error,
      (stopError: unknown) => new AggregateError([error, stopError]),
    );
    throw new Error(`could not start a throwaway cluster in ${dir}`, { cause });
  }
  const url = stdout.trim().split('\n').pop() ?? '';
  if (!url.startsWith('postgres://')) {
    await runScript(['stop', dir]);
    throw new Error(`pg-cluster.sh start printed ${JSON.stringify(stdout)}, not a postgres:// URL`);
  }
  return {
    url,
    dir,
    stop: async () => {
      await runScript(['stop', dir]);
    },
  };
}

function runScript(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [clusterScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`pg-cluster.sh ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}
