// `ptd score` on inputs too big or endless: a size cap (the API's document limit unless --max-chars says
// otherwise) applied before reading whole, JSON lines streamed with progress, every error naming its file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docxBomb } from '../helpers/docx.ts';

const FIXTURE = 'tests/fixtures/models/tiny';
// Prints the process's peak memory (KB) on stderr at exit: measured by the process itself, no tool needed.
const PEAK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\npeak-rss-kb='+process.resourceUsage().maxRSS+'\\n'))`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  peakMb: number;
}

function ptd(args: string[], stdin?: string | 'zero', env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('node', ['--import', PEAK, 'bin/ptd.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = Number(/peak-rss-kb=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ code: code ?? -1, stdout, stderr: stderr.replace(/\n?peak-rss-kb=\d+\n/, ''), ms: performance.now() - started, peakMb: peak / 1024 });
    });
    child.stdin.on('error', () => undefined); // EPIPE once ptd stops reading: expected
    if (stdin === 'zero') {
      // Endless input: zeros as fast as the pipe takes them, until ptd closes it.
      const zeros = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!child.stdin.destroyed && child.stdin.write(zeros));
        if (!child.stdin.destroyed) child.stdin.once('drain', pump);
      };
      pump();
    } else child.stdin.end(stdin ?? '');
  });
}

let dir: string;
const file = (name: string, content: string | Uint8Array): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
let startup: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ptd-limits-'));
  // How long the command takes to start at all on this machine now (tsx compiles the sources): the bounds below
  // allow for it when the machine is busier than the 5 s the issue names assumes.
  startup = (await ptd(['--version'])).ms;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 5 s on a machine where `ptd --version` takes up to ~2.7 s; on a busier one, in proportion to the start-up
// (measured at load 20 on 2 cores: start-up 13 s, these runs 16–18 s: the reading itself adds next to nothing).
const bound = () => Math.max(5_000, 1.5 * startup + 1_000);

// Each case starts the real command (tsx + ONNX Runtime): seconds each, more on a busy machine.
describe('ptd score: input limits', { timeout: 300_000 }, () => {
  it('refuses a 60 MB file at once, naming it and the limit, without reading it whole', async () => {
    const big = file('big.txt', Buffer.alloc(60 * 1024 * 1024, 'word '));
    const r = await ptd(['score', '-m', FIXTURE, big]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ptd: ${big}: 60.0 MB, more than 196 KB, which is more than a txt document of 50000 characters can take (the limit for one document); split it, or raise the limit with --max-chars\n`,
    );
    expect(r.stdout).toBe('');
    expect(r.ms, `took ${r.ms.toFixed(0)} ms (start-up alone ${startup.toFixed(0)} ms)`).toBeLessThan(bound());
    expect(r.peakMb).toBeLessThan(300);
    // the same file as JSON lines: one 60 MB line, refused as soon as it passes the line limit
    const line = file('big.jsonl', `{"text": "${'word '.repeat(12 * 1024 * 1024)}"}\n`);
    const j = await ptd(['score', '-m', FIXTURE, line]);
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(new RegExp(`^ptd: ${line} line 1: longer than 650 KB, more than a record with a text of 50000 characters can take`));
    expect(j.peakMb).toBeLessThan(300);
  });

  it('refuses endless stdin and /dev/zero once past the cap, instead of reading them whole', async () => {
    const r = await ptd(['score', '-m', FIXTURE], 'zero');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ptd: stdin: more than 196 KB, which is more than a txt document of 50000 characters can take/);
    expect(r.ms).toBeLessThan(bound());
    expect(r.peakMb).toBeLessThan(300);
    const dev = await ptd(['score', '-m', FIXTURE, '--input-format', 'txt', '/dev/zero']);
    expect(dev.code).toBe(1);
    expect(dev.stderr).toMatch(/^ptd: \/dev\/zero: more than 196 KB/);
    const lines = await ptd(['score', '-m', FIXTURE, '--input-format', 'jsonl', '/dev/zero']);
    expect(lines.stderr).toMatch(/^ptd: \/dev\/zero line 1: longer than 650 KB/);
  });

  it('counts characters as the API does, and --max-chars or PTD_MAX_CHARS change the limit', async () => {
    const text = 'The ferry left at dawn. We watched the gulls from the deck. ';
    const doc = file('doc.txt', text.repeat(10)); // 600 characters
    const low = await ptd(['score', '-m', FIXTURE, '--max-chars', '500', doc]);
    expect(low.code).toBe(1);
    expect(low.stderr).toBe(`ptd: ${doc}: the text is longer than 500 characters, the limit for one document (the API's maxCharsPerDocument); split it, or raise the limit with --max-chars\n`);
    expect((await ptd(['score', '-m', FIXTURE, '--max-chars', '600', '-f', 'json', doc])).code).toBe(0);
    expect((await ptd(['score', '-m', FIXTURE, doc], undefined, { PTD_MAX_CHARS: '500' })).code).toBe(1);
    // 300 emoji are 600 UTF-16 units but 300 characters
    const emoji = file('emoji.txt', `Smile. ${'😀'.repeat(300)}`);
    expect((await ptd(['score', '-m', FIXTURE, '--max-chars', '307', '-f', 'json', emoji])).code).toBe(0);
    const bad = await ptd(['score', '-m', FIXTURE, '--max-chars', 'lots', doc]);
    expect([bad.code, bad.stderr]).toEqual([2, 'ptd: --max-chars must be a positive whole number of characters, got "lots"\n']);
  });

  it('names the file and line of a record over the limit, before scoring anything; invalid UTF-8 too', async () => {
    const records = [{ text: 'Fine. Short.' }, { text: 'x'.repeat(501) }, { text: 'Also fine.' }].map((r) => JSON.stringify(r)).join('\n');
    const jsonl = file('records.jsonl', `${records}\n`);
    const r = await ptd(['score', '-m', FIXTURE, '--max-chars', '500', '-f', 'jsonl', jsonl]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ptd: ${jsonl} line 2: the text is longer than 500 characters`));
    expect(r.stdout).toBe(''); // checked before the model loaded
    const latin1 = file('latin1.txt', Buffer.from('Caf\xe9 au lait. It was good.', 'latin1'));
    const l = await ptd(['score', '-m', FIXTURE, latin1]);
    expect([l.code, l.stderr]).toEqual([1, `ptd: cannot read ${latin1}: not valid UTF-8 text (save the file as UTF-8)\n`]);
    const badLine = file('bad-utf8.jsonl', Buffer.concat([Buffer.from('{"text":"ok."}\n{"text":"'), Buffer.from([0xff]), Buffer.from('"}\n')]));
    expect((await ptd(['score', '-m', FIXTURE, badLine])).stderr).toMatch(/bad-utf8\.jsonl line 2: not valid UTF-8/);
  });

  it('refuses a .docx bomb quickly, naming the file and the limit', async () => {
    const bomb = file('bomb.docx', docxBomb(400));
    const r = await ptd(['score', '-m', FIXTURE, bomb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ptd: cannot read ${bomb}: too large to read: word/document\\.xml declares \\d+ bytes uncompressed, more than 3548576 \\(limit docxBodyBytes\\)`));
    expect(r.ms).toBeLessThan(bound());
    expect(r.peakMb).toBeLessThan(300);
  });
});

describe('ptd score: a 5 MB JSON-lines file', { timeout: 300_000 }, () => {
  it('streams results as they are scored, with progress on stderr', async () => {
    const sentences = ['The committee met on Tuesday to review the budget.', 'Several members raised concerns about rising costs.'];
    let content = '';
    let n = 0;
    while (content.length < 5 * 1024 * 1024) {
      content += `${JSON.stringify({ id: `d${n}`, text: `${sentences.join(' ').repeat(20)} Item ${n}.` })}\n`;
      n++;
    }
    const jsonl = file('five-mb.jsonl', content);
    const child = spawn('node', ['bin/ptd.js', 'score', '-m', FIXTURE, '-f', 'jsonl', '--progress', jsonl], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // Results come out while most of the file is still to be scored: 64 documents (two model batches), and
      // a progress line that counts them against the total.
      const deadline = Date.now() + 280_000;
      while (stdout.split('\n').length <= 64 || !/\| (3[2-9]|[4-9]\d|\d{3,})\/\d+ documents/.test(stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no streamed output:\n${stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(child.exitCode).toBeNull(); // still scoring the rest
      const lines = stdout.split('\n').filter(Boolean).slice(0, 64).map((l) => JSON.parse(l) as { id: string; source: string; sentences: unknown[] });
      expect(lines.map((l) => l.id)).toEqual(Array.from({ length: 64 }, (_, i) => `d${i}`));
      expect(lines[0]!.source).toBe(`${jsonl}:1`);
      expect(lines[63]!.sentences.length).toBeGreaterThan(0);
      expect(stderr).toMatch(new RegExp(`ptd score \\[.*\\] \\d+% \\| \\d+/${n} documents`));
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
