/**
 * Builds the map (web/ -> web/dist) when the build is missing or older than any source file, so
 * `npm start` serves the current map without rebuilding on every start.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const webDir = path.join(root, 'web');
const builtIndex = path.join(webDir, 'dist', 'index.html');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function builtMs(): number {
  try {
    return statSync(builtIndex).mtimeMs;
  } catch {
    return -1; // never built
  }
}

const sourcesMs = Math.max(
  newestSourceMs(webDir),
  statSync(path.join(root, 'vite.config.ts')).mtimeMs,
);
if (builtMs() < sourcesMs) {
  process.stderr.write('building the map (web/ -> web/dist)\n');
  const result = spawnSync(
    'npx',
    ['vite', 'build', '--config', 'vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  process.exitCode = result.status ?? 1;
}
