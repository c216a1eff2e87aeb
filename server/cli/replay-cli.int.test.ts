/** `pledgewatch replay` as a user runs it: a real process, its exit code and output. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = async (args: readonly string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['bin/pledgewatch.js', ...args],
      { env: { ...process.env, PW_LOG_LEVEL: 'error' }, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

describe('pledgewatch replay', () => {
  it('prints its usage with --help', async () => {
    const { code, stdout } = await run(['replay', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pledgewatch replay --csv FILE --farm CODE --tag ID/);
    expect(stdout).toMatch(/--shift-to-now/);
  });

  it('is listed in the overview', async () => {
    const { stdout } = await run(['--help']);
    expect(stdout).toMatch(/replay +replay a GPS collar log/);
  });

  it('names a missing argument and a bad speed', async () => {
    const missing = await run(['replay', '--farm', 'F-KRT-01', '--tag', 'T-1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--csv is required/);
    const speed = await run([
      'replay',
      '--csv',
      'x.csv',
      '--farm',
      'F-KRT-01',
      '--tag',
      'T-1',
      '--speed=-1',
    ]);
    expect(speed.code).toBe(1);
    expect(speed.stderr).toMatch(/--speed "-1" must be a number >= 0/);
  });

  it('has a simulate command with --help too', async () => {
    const { code, stdout } = await run(['simulate', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pledgewatch simulate --farms N --animals M --interval S/);
  });
});
