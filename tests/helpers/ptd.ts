// Runs the real `ptd` command (`node bin/ptd.js ...`) and returns its exit code and output, failing or not.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PtdRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function ptd(...args: string[]): Promise<PtdRun> {
  try {
    const { stdout, stderr } = await run('node', ['bin/ptd.js', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as PtdRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
