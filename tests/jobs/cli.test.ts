// `ptd worker` and `ptd jobs` argument handling: usage errors exit 2, an unreachable API exits 1 with a
// message that says where it looked. (The commands against a live API are in workers.test.ts.)
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, freePort } from './helpers.ts';

function ptd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/ptd.js', ...args], { cwd: ROOT, env: { ...process.env, PTD_API_URL: '', PTD_API_KEY: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('ptd worker / ptd jobs arguments', () => {
  it('rejects a bad --concurrency with exit 2', async () => {
    const r = await ptd(['worker', '--concurrency', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--concurrency must be an integer from 1 to 64/);
  }, 180_000); // each run starts the whole ptd program: slow on a loaded 2-core machine

  it('rejects a missing upload file with exit 2, and an unreachable API with exit 1', async () => {
    const port = await freePort(); // nothing listens there
    const missing = await ptd(['jobs', 'submit', '/nonexistent/docs.jsonl', '--url', `http://127.0.0.1:${port}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file: \/nonexistent\/docs.jsonl/);
    const down = await ptd(['jobs', 'status', '--url', `http://127.0.0.1:${port}`, '00000000-0000-4000-8000-000000000000']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`cannot reach the ptd API at http://127.0.0.1:${port}`));
    expect(down.stdout).toBe('');
  }, 180_000);
});
