import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function ptd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['bin/ptd.js', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('ptd command', () => {
  it('prints help and exits 0', async () => {
    const r = await ptd('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: ptd');
  });

  it('exits 2 with a message on an unknown command', async () => {
    const r = await ptd('no-such-command');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command|too many arguments/i);
  });
});
