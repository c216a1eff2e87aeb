import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { parseCollarLog } from '../replay/collar-log.ts';
import { replayCollarLog, type ReplaySummary } from '../replay/replay-collar-log.ts';
import { parseCli, required } from './create-user.ts';
import { CliUsageError } from './usage-error.ts';

export interface ReplayArgs {
  readonly csvPath: string;
  readonly farmCode: string;
  readonly tagId: string;
  readonly gatewayCode: string;
  readonly secretFile: string | null;
  readonly speed: number;
  readonly brokerUrl: string | null;
  readonly shiftToNow: boolean;
}

export function parseReplayArgs(args: readonly string[]): ReplayArgs {
  const { values } = parseCli(args, {
    csv: true,
    farm: true,
    tag: true,
    gateway: true,
    'secret-file': true,
    speed: true,
    broker: true,
    'shift-to-now': true,
  });
  const farmCode = required(values, 'farm');
  const gatewayCode =
    values.gateway?.trim() ||
    (farmCode.startsWith('F-') ? `GW-${farmCode.slice(2)}` : required(values, 'gateway'));
  const speedText = values.speed ?? '0';
  const speed = Number(speedText);
  if (speedText.trim() === '' || !Number.isFinite(speed) || speed < 0) {
    throw new CliUsageError(`--speed ${JSON.stringify(speedText)} must be a number >= 0`);
  }
  const shift = values['shift-to-now'] ?? 'true';
  if (shift !== 'true' && shift !== 'false') {
    throw new CliUsageError(`--shift-to-now ${JSON.stringify(shift)} must be true or false`);
  }
  return {
    csvPath: required(values, 'csv'),
    farmCode,
    tagId: required(values, 'tag'),
    gatewayCode,
    secretFile: values['secret-file'] ?? null,
    speed,
    brokerUrl: values.broker ?? null,
    shiftToNow: shift === 'true',
  };
}

/** Runs `pledgewatch replay`: reads the log and the secret, replays, returns the summary. */
export async function runReplay(args: ReplayArgs, config: Config): Promise<ReplaySummary> {
  const secret =
    args.secretFile === null
      ? config.gatewaySecret
      : (await readFile(args.secretFile, 'utf8')).trim();
  if (secret === null || secret === '') {
    throw new CliUsageError(
      'the gateway secret is missing: set PW_GATEWAY_SECRET or --secret-file',
    );
  }
  const log = parseCollarLog(await readFile(args.csvPath, 'utf8'));
  const brokerUrl =
    args.brokerUrl ?? config.mqtt.url ?? `mqtt://${config.mqtt.host}:${config.mqtt.port}`;
  let lastReportMs = 0;
  return replayCollarLog(log, {
    brokerUrl,
    gatewayCode: args.gatewayCode,
    secret,
    farmCode: args.farmCode,
    tagId: args.tagId,
    speed: args.speed,
    shiftToNow: args.shiftToNow,
    onProgress: ({ total, acked }) => {
      const nowMs = Date.now();
      if (acked === total || nowMs - lastReportMs >= 1_000) {
        lastReportMs = nowMs;
        process.stderr.write(`replay: ${acked}/${total} acknowledged\n`);
      }
    },
  });
}
