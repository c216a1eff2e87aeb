/**
 * The benchmark runner: `npm run bench [-- --suite NAME] [-- --quick]`.
 *
 * Runs the suites of `scripts/bench/` (all, or the one named), prints each as a table and writes
 * it to `bench-results/<suite>.json`. Figures are ratios against a baseline measured in the same
 * run, since absolute rates on a shared 2-core machine move from one minute to the next.
 *
 * Suites that need a database server use DATABASE_URL (they create and drop their own database on
 * it). Without DATABASE_URL, a throwaway cluster is started with `scripts/pg-cluster.sh` and
 * stopped at the end. Ctrl-C stops the suite at its next batch and still cleans up.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  loadSuite,
  renderReport,
  startThrowawayCluster,
  suiteNames,
  UnknownSuiteError,
  type BenchReport,
  type BenchSuite,
  type ThrowawayCluster,
} from './bench/index.ts';

const resultsDir = fileURLToPath(new URL('../bench-results/', import.meta.url));

const usage = `Usage: npm run bench [-- --suite NAME] [-- --quick]

  --suite NAME   run only this suite (known: ${suiteNames.join(', ')})
  --quick        smaller sizes and budgets: a smoke run (~30 s), not figures to quote
  --help         show this help

Writes bench-results/<suite>.json. Uses DATABASE_URL when set (creating and dropping its own
database there); otherwise starts a throwaway cluster with scripts/pg-cluster.sh and stops it.`;

async function main(argv: readonly string[]): Promise<number> {
  let values: { suite?: string; quick?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        suite: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }

  let suites: BenchSuite[];
  try {
    suites = await Promise.all(
      (values.suite === undefined ? suiteNames : [values.suite]).map(loadSuite),
    );
  } catch (error) {
    if (error instanceof UnknownSuiteError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const quick = values.quick === true;

  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write(
      '\ninterrupted: stopping at the next batch and cleaning up (Ctrl-C again to force)\n',
    );
    controller.abort(new Error('interrupted by SIGINT'));
  });
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  };

  let cluster: ThrowawayCluster | null = null;
  try {
    const databaseUrl = process.env['DATABASE_URL'];
    if (
      suites.some((s) => s.needsDatabaseServer) &&
      (databaseUrl === undefined || databaseUrl === '')
    ) {
      log('DATABASE_URL is not set: starting a throwaway cluster with scripts/pg-cluster.sh');
      cluster = await startThrowawayCluster();
      // The suites create their databases with server/testing/databases.ts, which reads it.
      process.env['DATABASE_URL'] = cluster.url;
    }
    for (const suite of suites) {
      controller.signal.throwIfAborted();
      log(`suite ${suite.name}${quick ? ' (--quick)' : ''}`);
      const startedAt = new Date();
      const start = performance.now();
      const result = await suite.run({ quick, signal: controller.signal, log });
      const report: BenchReport = {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - start),
        quick,
        host: {
          node: process.version,
          nodeOptions: (process.env['NODE_OPTIONS'] ?? '').trim(),
          platform: `${os.platform()} ${os.release()} ${os.arch()}`,
          cpus: os.availableParallelism(),
          cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
          totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
        },
        result,
      };
      const file = path.join(resultsDir, `${suite.name}.json`);
      await mkdir(resultsDir, { recursive: true });
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(renderReport(report, path.relative(process.cwd(), file)));
    }
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write('bench interrupted; no results written for the unfinished suite\n');
      return 130;
    }
    throw error;
  } finally {
    if (cluster !== null) {
      log(`stopping the throwaway cluster in ${cluster.dir}`);
      await cluster.stop();
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    let cause = error instanceof Error ? error.cause : undefined;
    while (cause !== undefined) {
      process.stderr.write(
        `caused by: ${cause instanceof Error ? cause.message : String(cause)}\n`,
      );
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    process.exitCode = 1;
  },
);
