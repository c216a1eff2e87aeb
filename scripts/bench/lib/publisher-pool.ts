/**
 * The load generator (`mqtt-publishers.ts`) in a child process, forked with tsx so that its CPU
 * is not counted as the service's, and a pool of its gateway connections.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatSeconds } from './format.ts';
import type { PublisherCommand, PublisherGateway, PublisherReply } from './mqtt-publishers.ts';

const publishersScript = fileURLToPath(new URL('./mqtt-publishers.ts', import.meta.url));

export interface Publishers {
  send(command: PublisherCommand): Promise<PublisherReply>;
  close(): Promise<void>;
}

export function startPublishers(): Publishers {
  const child: ChildProcess = fork(publishersScript, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const send = (command: PublisherCommand): Promise<PublisherReply> =>
    new Promise((resolve, reject) => {
      if (exited) {
        reject(new Error('the publisher process has exited'));
        return;
      }
      const onExit = (code: number | null): void => {
        reject(new Error(`the publisher process exited with ${code ?? 'a signal'}`));
      };
      child.once('exit', onExit);
      child.once('message', (reply: PublisherReply) => {
        child.off('exit', onExit);
        if (reply.type === 'failed') reject(new Error(`publishers: ${reply.message}`));
        else resolve(reply);
      });
      child.send(command);
    });
  return {
    send,
    close: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await send({ type: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Forks the load generator and connects `gateways` to `url` (50 at a time). */
export async function connectPool(
  url: string,
  gateways: readonly PublisherGateway[],
  log: (line: string) => void,
): Promise<Publishers> {
  const publishers = startPublishers();
  try {
    const reply = await publishers.send({
      type: 'connect',
      url,
      gateways,
      parallelConnects: 50,
    });
    if (reply.type === 'connected') {
      log(`${reply.connections} connections to ${url} in ${formatSeconds(reply.elapsedMs)}`);
    }
    return publishers;
  } catch (error) {
    await publishers.close();
    throw error;
  }
}
