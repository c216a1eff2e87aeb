/**
 * `pledgewatch <command>`: the one command-line entry point. Each command has --help.
 *
 * Commands load what they need when they run: the service, the database drivers and the schemas
 * are large graphs for tsx to compile, and `--help` or `config` should not wait for them.
 */
import { parseArgs } from 'node:util';
import { setInflateSetting } from '../../ingest/index.ts';
import { loadConfig, redactConfig, variables, type Config } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { AppError, ConfigError, errorMessage } from '../errors.ts';
import { fromConstraintViolation } from '../http-errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { classifyUsage } from './classify.ts';
import { replayUsage } from './replay-usage.ts';
import { reportUsage } from './report-usage.ts';
import { simulateUsage } from './simulate-usage.ts';
import { trainUsage } from './train.ts';
import { CliUsageError } from './usage-error.ts';

interface Command {
  readonly summary: string;
  readonly usage: string;
  /** Checks the arguments before the configuration is read; throws CliUsageError. */
  checkArgs?(args: readonly string[]): Promise<void>;
  run(args: string[], context: { config: Config; logger: Logger }): Promise<number>;
}

/** Opens the configured database, migrated, for one command; closes it after. */
async function withMigratedStorage<T>(
  config: Config,
  logger: Logger,
  work: (storage: Storage) => Promise<T>,
): Promise<T> {
  const { openStorage } = await import('../db/open-storage.ts');
  const storage = await openStorage(config);
  try {
    await migrate(storage, { logger });
    return await work(storage);
  } finally {
    await storage.close();
  }
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the service: HTTP API and map, database migrations, demo data on first start',
    usage:
      'pledgewatch serve\n\nConfigured by environment variables (see `pledgewatch config --help`).',
    run: async (_args, { config, logger }) => {
      const { startService } = await import('../main.ts');
      const service = await startService(config, logger);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info('stopping', { signal });
          service.stop().then(resolve, (error: unknown) => {
            logger.error('stop failed', { error });
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      return 0;
    },
  },
  migrate: {
    summary: 'apply pending database migrations and exit',
    usage:
      'pledgewatch migrate\n\nApplies all pending migrations in one transaction; on failure none is applied.',
    run: async (_args, { config, logger }) => {
      const { openStorage } = await import('../db/open-storage.ts');
      const storage = await openStorage(config);
      try {
        const report = await migrate(storage, { logger });
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return 0;
      } finally {
        await storage.close();
      }
    },
  },
  'seed-demo': {
    summary: 'load the demo portfolio into an empty database',
    usage:
      'pledgewatch seed-demo\n\nMigrates, then loads fixtures/demo/portfolio.json unless the database already holds a portfolio.',
    run: async (_args, { config, logger }) => {
      const { seedDemoPortfolio } = await import('../demo/seed-demo-portfolio.ts');
      const result = await withMigratedStorage(config, logger, (storage) =>
        seedDemoPortfolio(storage, { dataDir: config.dataDir, logger }),
      );
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return 0;
    },
  },
  'create-user': {
    summary: 'create a user with a generated password, printed once (e.g. the first admin)',
    usage: `pledgewatch create-user --email EMAIL --name "DISPLAY NAME" --role ROLE [--branch CODE]

Creates a user with a generated password and prints it (JSON on stdout) once: it is stored only
as a hash. ROLE is officer, supervisor or admin; officers and supervisors need --branch (the
branch's code, e.g. KRT). Use it to make the first admin of a fresh installation:

  pledgewatch create-user --email it@bank.example --name "IT Operations" --role admin

Migrates the database first. On the embedded database, stop the service while it runs.`,
    checkArgs: async (args) => void (await import('./create-user.ts')).parseCreateUserArgs(args),
    run: async (args, { config, logger }) => {
      const { createUserWithPassword, parseCreateUserArgs } = await import('./create-user.ts');
      const options = parseCreateUserArgs(args);
      const user = await withMigratedStorage(config, logger, (storage) =>
        createUserWithPassword(storage, options),
      );
      process.stdout.write(JSON.stringify(user, null, 2) + '\n');
      process.stderr.write('Store the password now: it is shown only this once.\n');
      return 0;
    },
  },
  'create-api-key': {
    summary: 'create an API key for a user, printed once',
    usage: `pledgewatch create-api-key --email EMAIL --name "KEY NAME"

Creates an API key for the (enabled) user with EMAIL and prints it (JSON on stdout) once: only
its hash is stored. The key acts with the user's role and branch:

  curl -H "Authorization: Bearer pwk_..." localhost:8080/api/auth/me

Migrates the database first. On the embedded database, stop the service while it runs.`,
    checkArgs: async (args) =>
      void (await import('./create-api-key.ts')).parseCreateApiKeyArgs(args),
    run: async (args, { config, logger }) => {
      const { createApiKeyForEmail, parseCreateApiKeyArgs } = await import('./create-api-key.ts');
      const options = parseCreateApiKeyArgs(args);
      const key = await withMigratedStorage(config, logger, (storage) =>
        createApiKeyForEmail(storage, options),
      );
      process.stdout.write(JSON.stringify(key, null, 2) + '\n');
      process.stderr.write('Store the key now: it is shown only this once.\n');
      return 0;
    },
  },
  replay: {
    summary: 'replay a GPS collar log (idaho-collars CSV) as ear-tag readings over MQTT',
    usage: replayUsage,
    checkArgs: async (args) => void (await import('./replay.ts')).parseReplayArgs(args),
    run: async (args, { config }) => {
      const { parseReplayArgs, runReplay } = await import('./replay.ts');
      const summary = await runReplay(parseReplayArgs(args), config);
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return summary.acked === summary.total ? 0 : 1;
    },
  },
  simulate: {
    summary: 'simulate farm gateways: grazing herds, theft, failing tags, undercounting cameras',
    usage: simulateUsage,
    checkArgs: async (args) => void (await import('./simulate.ts')).parseSimulateArgs(args),
    run: async (args, { config }) => {
      const { parseSimulateArgs, runSimulate } = await import('./simulate.ts');
      const summary = await runSimulate(parseSimulateArgs(args), config);
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return 0;
    },
  },
  train: {
    summary:
      'train the crop-type model from labelled parcels over STAC catalogs (ONNX + model card)',
    usage: trainUsage,
    checkArgs: async (args) => void (await import('./train.ts')).parseTrainArgs(args),
    run: async (args) => {
      const { parseTrainArgs, runTrain } = await import('./train.ts');
      const summary = await runTrain(parseTrainArgs(args));
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return 0;
    },
  },
  classify: {
    summary:
      'classify parcels from Sentinel-2 over STAC: crop, planted area, status, markers (GeoJSON)',
    usage: classifyUsage,
    checkArgs: async (args) => void (await import('./classify.ts')).parseClassifyArgs(args),
    run: async (args) => {
      const { parseClassifyArgs, runClassify } = await import('./classify.ts');
      const summary = await runClassify(parseClassifyArgs(args));
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return 0;
    },
  },
  report: {
    summary: 'write the post-loan report of every active loan of a branch (PDF, HTML, CSV, JSON)',
    usage: reportUsage,
    checkArgs: async (args) => void (await import('./report.ts')).parseReportArgs(args),
    run: async (args, { config, logger }) => {
      const { parseReportArgs, runReport } = await import('./report.ts');
      const { createPdfRenderer } = await import('../report/index.ts');
      const options = parseReportArgs(args);
      const pdfRenderer = options.formats.includes('pdf')
        ? createPdfRenderer({ chromiumPath: config.report.chromiumPath, logger })
        : undefined;
      try {
        const summary = await withMigratedStorage(config, logger, (storage) =>
          runReport(options, {
            storage,
            pdfRenderer,
            progress: (line) => process.stderr.write(`${line}\n`),
          }),
        );
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return summary.failed.length === 0 ? 0 : 1;
      } finally {
        await pdfRenderer?.close();
      }
    },
  },
  config: {
    summary: 'check the configuration and print it (passwords masked)',
    usage: `pledgewatch config\n\nVariables:\n${Object.entries(variables)
      .map(([name, v]) => `  ${name.padEnd(26)} ${v.doc} Default: ${v.default ?? '(unset)'}`)
      .join('\n')}`,
    run: (_args, { config }) => {
      process.stdout.write(JSON.stringify(redactConfig(config), null, 2) + '\n');
      return Promise.resolve(0);
    },
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'Usage: pledgewatch <command> [--help]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`),
    '',
    'Run `pledgewatch <command> --help` for a command.',
  ].join('\n');
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(overview() + '\n');
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n');
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`pledgewatch: unknown command ${JSON.stringify(name)}\n\n${overview()}\n`);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
  });
  if (values.help === true) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  const usageFailure = (error: CliUsageError): number => {
    process.stderr.write(
      `pledgewatch ${name}: ${error.message}\n\nRun \`pledgewatch ${name} --help\` for usage.\n`,
    );
    return 1;
  };
  try {
    await command.checkArgs?.(rest);
  } catch (error) {
    if (error instanceof CliUsageError) return usageFailure(error);
    throw error;
  }

  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pledgewatch: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  setInflateSetting(config.satellite.inflate);
  try {
    return await command.run(rest, { config, logger });
  } catch (error) {
    if (error instanceof CliUsageError) return usageFailure(error);
    const known = error instanceof Error ? fromConstraintViolation(error) : error;
    // A refusal the operator can act on (duplicate, unknown branch) needs no stack in the log.
    if (!(known instanceof AppError && known.status < 500))
      logger.error(`${name} failed`, { error });
    process.stderr.write(`pledgewatch ${name}: ${errorMessage(known)}\n`);
    return 1;
  }
}
