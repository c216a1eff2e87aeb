/**
 * `pledgewatch <command>`: the one command-line entry point. Each command has --help.
 */
import { parseArgs } from 'node:util';
import { loadConfig, redactConfig, variables, type Config } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { openStorage } from '../db/open-storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { startService } from '../main.ts';

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[], context: { config: Config; logger: Logger }): Promise<number>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the service: HTTP API and map, database migrations, demo data on first start',
    usage:
      'pledgewatch serve\n\nConfigured by environment variables (see `pledgewatch config --help`).',
    run: async (_args, { config, logger }) => {
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
      const storage = await openStorage(config);
      try {
        await migrate(storage, { logger });
        const result = await seedDemoPortfolio(storage, { dataDir: config.dataDir, logger });
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return 0;
      } finally {
        await storage.close();
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
  return [
    'Usage: pledgewatch <command> [--help]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
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
  const { values, positionals } = parseArgs({
    args: rest,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
  });
  if (values.help === true) {
    process.stdout.write(command.usage + '\n');
    return 0;
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
  try {
    return await command.run(positionals, { config, logger });
  } catch (error) {
    logger.error(`${name} failed`, { error });
    process.stderr.write(`pledgewatch ${name}: ${errorMessage(error)}\n`);
    return 1;
  }
}
