import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.ts';

export interface DirLock {
  release(): Promise<void>;
}

/**
 * Takes an exclusive lock file holding our pid. Two processes writing one embedded database would
 * corrupt it, so a second opener fails with the owner's pid; a lock whose owner is gone is taken over.
 */
export async function acquireDirLock(dir: string, name: string): Promise<DirLock> {
  const file = path.join(dir, name);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new AppError(
          'data_dir_in_use',
          `data folder ${dir} is in use by process ${owner}; stop it or set PW_DATA_DIR to another folder`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new AppError('data_dir_in_use', `could not lock data folder ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
