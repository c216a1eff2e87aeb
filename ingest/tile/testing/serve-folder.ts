import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** A static file server for tests, with single-range `Range` support, and what it served. */
export interface FolderServer {
  /** `http://127.0.0.1:<port>/` */
  readonly baseUrl: string;
  /** Every request as `METHOD path range`, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Serves a folder over HTTP on 127.0.0.1 on a free port (never a fixed one), answering `Range:
 * bytes=a-b` with 206 and `Content-Range` as a static COG host (S3, nginx) does.
 *
 * @param root - The folder to serve.
 * @returns The server's base URL, its request log and `close()`.
 * @example
 * ```ts
 * const server = await serveFolder(dir);
 * try { await loadStac(`${server.baseUrl}catalog.json`); } finally { await server.close(); }
 * ```
 */
export async function serveFolder(root: string): Promise<FolderServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const range = request.headers.range;
    requests.push(`${request.method ?? ''} ${path} ${range ?? ''}`.trim());
    const file = join(root, path);
    stat(file).then(
      (info) => {
        if (!info.isFile()) {
          response.writeHead(404).end();
          return;
        }
        const match = range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
        if (match === null) {
          response.writeHead(200, { 'content-length': info.size, 'accept-ranges': 'bytes' });
          createReadStream(file).pipe(response);
          return;
        }
        const start = Number(match[1]);
        const end = Math.min(match[2] ? Number(match[2]) : info.size - 1, info.size - 1);
        if (start >= info.size) {
          response.writeHead(416, { 'content-range': `bytes */${info.size}` }).end();
          return;
        }
        response.writeHead(206, {
          'content-range': `bytes ${start}-${end}/${info.size}`,
          'content-length': end - start + 1,
          'accept-ranges': 'bytes',
        });
        createReadStream(file, { start, end }).pipe(response);
      },
      () => {
        response.writeHead(404).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
