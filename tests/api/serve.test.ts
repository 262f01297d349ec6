// `ptd serve` as a user runs it: prints the playground address, API keys from PTD_API_KEYS, JSON logs on
// stderr without document text, exit 0 after SIGTERM; bad flags exit 2, a model that fails to load exits 1.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawn('node', ['bin/ptd.js', 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms = 60_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + ms;
    for (;;) {
      const m = stdout.match(re);
      if (m) return m;
      if (Date.now() > until || child.exitCode !== null) throw new Error(`not seen: ${re}\nstdout: ${stdout}\nstderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child: child as ChildProcess, exited, waitFor, out: () => stdout, err: () => stderr };
}

describe('ptd serve', () => {
  it('serves with API keys, logs without document text and stops on SIGTERM', async () => {
    const s = serve(['--model', 'tests/fixtures/models/tiny'], { PTD_API_KEYS: 'alpha, beta' });
    try {
      const [, url] = await s.waitFor(/playground at (http:\/\/127\.0\.0\.1:\d+\/)/);
      await s.waitFor(/ready \(tiny on (cpu|cuda)\)/);
      expect((await fetch(new URL('/healthz', url))).status).toBe(200);
      expect((await fetch(new URL('/v1/models', url))).status).toBe(401);
      expect((await fetch(new URL('/v1/models', url), { headers: { 'x-api-key': 'beta' } })).status).toBe(200);
      const marker = 'Zanzibar-quokka-7731 is a secret sentence.';
      const res = await fetch(new URL('/v1/detect', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'alpha' },
        body: JSON.stringify({ text: `${marker} And a second one.` }),
      });
      expect(res.status).toBe(200);
      await res.json();
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      const logs = s.err().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logs.some((l) => l.route === '/v1/detect' && l.status === 200 && l.chars === marker.length + 18)).toBe(true);
      expect(logs.some((l) => l.msg === 'stopped')).toBe(true);
      expect(s.err()).not.toContain('Zanzibar');
      expect(s.err()).not.toContain('alpha');
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  it('exits 2 on a bad flag value', async () => {
    const r = await run('node', ['bin/ptd.js', 'serve', '--device', 'tpu']).catch((e) => e as { code: number; stderr: string });
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toContain('--device must be one of auto, cpu, cuda');
  });

  it('exits 1 when a model does not load', async () => {
    const s = serve(['--model', 'tests/fixtures/no-such-model']);
    expect(await s.exited).toBe(1);
    expect(s.err()).toMatch(/ptd: model "no-such-model" .* failed to load/);
  });
});
