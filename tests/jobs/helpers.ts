// Test helpers for the jobs suite: a real Debian redis-server on a free loopback port (no mocks), and
// real `ptd` processes (API and workers) started with `node bin/ptd.js`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onPath } from '../helpers/requires.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The suites that run a real redis-server: where it is missing they skip, saying so (and fail under CI=true). */
export const REDIS_SERVER = {
  available: onPath('redis-server'),
  missing: 'redis-server on PATH (apt-get install redis-server)',
};

export const FIXTURE_MODEL = path.join(ROOT, 'tests/fixtures/models/tiny');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port (or `port`: to restart one), without persistence, in a temporary directory. */
export async function startRedis(port?: number): Promise<RedisServer> {
  port ??= await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ptd-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${log}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run redis-server (apt-get install redis-server): ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${log}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PtdProcess {
  child: ChildProcess;
  /** stdout and stderr so far (logs). */
  log(): string;
  /** Resolves when the output (from character `since` on: `log().length` earlier, to wait for a new line) has matched `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number, since?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `node bin/ptd.js ...args` with the given extra environment. */
export function ptd(args: string[], env: Record<string, string> = {}): PtdProcess {
  const child = spawn(process.execPath, ['bin/ptd.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; since: number; resolve: () => void }> = [];
  const onData = (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr.slice(w.since))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    child,
    log: () => stderr,
    waitForLog(pattern, timeoutMs = 60_000, since = 0) {
      if (pattern.test(stderr.slice(since))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${stderr.slice(-3000)}`)), timeoutMs);
        const onExit = (code: number | null) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before ${pattern}:\n${stderr.slice(-3000)}`));
        };
        child.once('exit', onExit);
        waiters.push({
          pattern,
          since,
          resolve: () => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve();
          },
        });
      });
    },
    kill: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

/** Polls `check` until it returns a value other than undefined. */
export async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Short documents of 2–4 sentences, each with a distinct id. */
export function makeDocuments(n: number): Array<{ id: string; text: string }> {
  const sentences = [
    'The committee met on Tuesday to review the budget.',
    'Several members raised concerns about rising costs.',
    'A revised plan will be presented next month.',
    'Residents are invited to comment before the vote.',
    'The library will extend its opening hours in spring.',
    'Volunteers helped to repaint the old community hall.',
  ];
  return Array.from({ length: n }, (_, i) => {
    const k = 2 + (i % 3);
    const text = Array.from({ length: k }, (_, j) => sentences[(i + j) % sentences.length]).join(' ') + ` Item ${i}.`;
    return { id: `doc-${i}`, text };
  });
}
