import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segment } from '../../model/index.ts';

const FIXTURE = 'tests/fixtures/models/tiny';
const PROSE =
  'Mr. Smith went to Washington on Monday. He arrived at 3.30 p.m. and met the press. ' +
  'The weather was fine, and the crowd cheered loudly as he walked in. Nobody expected the speech to be so long.';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ptd(args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/ptd.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

let dir: string;
const file = (name: string, content: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ptd-score-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each case starts the real command (tsx + ONNX Runtime): seconds each, more on a busy machine.
describe('ptd score: inputs and outputs', { timeout: 300_000 }, () => {
  it('reads stdin when no file is given and prints JSON', async () => {
    const r = await ptd(['score', '-m', FIXTURE, '--format', 'json'], PROSE);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.source).toBe('-');
    expect(out.text).toBe(PROSE);
    expect(out.sentences.map((s: { text: string }) => s.text)).toEqual(segment(PROSE).map((s) => s.text));
    expect(out.model).toMatchObject({ name: 'ptd-tiny-fixture', dtype: 'q8' });
    expect(out.coverage).toEqual({ sentences: 4, scored: 4, skipped: 0, truncated: 0 });
    expect(out.threshold).toBe(0.6);
    // --target-fpr picks the model's threshold fitted for that rate (the fixture has 1% → 0.6 and 5% → 0.5).
    const five = await ptd(['score', '-m', FIXTURE, '--format', 'json', '--target-fpr', '5%'], PROSE);
    expect(JSON.parse(five.stdout).threshold).toBe(0.5);
  });

  it('scores a .txt file in pretty format: highlighted text and a one-line summary', async () => {
    const txt = file('doc.txt', PROSE);
    const r = await ptd(['score', '-m', FIXTURE, '--dtype', 'fp32', '--threshold', '0', txt]);
    expect(r.code).toBe(0);
    // Threshold 0: every sentence is flagged and marked with its score.
    expect(r.stdout).toMatch(/^>>Mr\. Smith went to Washington on Monday\.<< \[\d\.\d\d\]/);
    expect(r.stdout.match(/>>/g)).toHaveLength(4);
    expect(r.stdout).toMatch(/4 sentences · 4 flagged \(100%\) in 1 span · document score \d\.\d\d · threshold 0\.00 \(custom\) · ptd-tiny-fixture 0\.0\.0-fixture fp32 on cpu/);
    expect(r.stdout).not.toContain('too short to judge reliably');
    const short = await ptd(['score', '-m', FIXTURE], 'Too short.');
    expect(short.stdout).toContain('too short to judge reliably');
  });

  it('colours flagged sentences when colours are on', async () => {
    const r = await ptd(['score', '-m', FIXTURE, '--threshold', '0'], PROSE, { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\u001b\[4[13]m/); // red or yellow background
    expect(r.stdout).not.toContain('>>');
  });

  it('reads the visible text of an .html file', async () => {
    const html = file(
      'page.html',
      '<html><head><title>Hidden title</title><style>p { color: red }</style></head><body>' +
        '<h1>A heading</h1><p>The first paragraph is here. It has two sentences.</p>' +
        '<script>var secret = "not text";</script><div hidden>Hidden div.</div>' +
        '<ul><li>First item</li><li>Second item</li></ul><p>Caf&eacute; &amp; more.</p></body></html>',
    );
    const r = await ptd(['score', '-m', FIXTURE, '-f', 'json', html]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sentences.map((s: { text: string }) => s.text)).toEqual([
      'A heading',
      'The first paragraph is here.',
      'It has two sentences.',
      'First item',
      'Second item',
      'Café & more.',
    ]);
    expect(out.text).not.toMatch(/Hidden|secret|color/);
  });

  it('reads a .md file without its markup', async () => {
    const md = file('notes.md', '# Notes\n\nSome **bold** words and a [link](https://example.com). Done.\n\n```\ncode();\n```\n\n- one item\n- two items\n');
    const r = await ptd(['score', '-m', FIXTURE, '-f', 'json', md]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sentences.map((s: { text: string }) => s.text)).toEqual(['Notes', 'Some bold words and a link.', 'Done.', 'one item', 'two items']);
  });

  it('scores every record of a .jsonl file and writes JSON lines with source and id', async () => {
    const jsonl = file('docs.jsonl', `${JSON.stringify({ id: 'a', text: PROSE })}\n\n${JSON.stringify({ text: 'Second record. Short.' })}\n`);
    const r = await ptd(['score', '-m', FIXTURE, '-f', 'jsonl', jsonl]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ source: `${jsonl}:1`, id: 'a' });
    expect(lines[1].source).toBe(`${jsonl}:3`);
    expect(lines[1].id).toBeUndefined();
    expect(lines[1].sentences).toHaveLength(2);
  });

  it('prints a JSON array for several files, and pretty output per file', async () => {
    const a = file('a.txt', PROSE);
    const b = file('b.txt', 'Another document. It is short.');
    const json = await ptd(['score', '-m', FIXTURE, '-f', 'json', a, b]);
    expect(json.code).toBe(0);
    const arr = JSON.parse(json.stdout);
    expect(arr.map((x: { source: string }) => x.source)).toEqual([a, b]);
    const pretty = await ptd(['score', '-m', FIXTURE, a, b]);
    expect(pretty.stdout).toContain(`==> ${a} <==`);
    expect(pretty.stdout).toContain(`${b}: 2 sentences`);
  });

  it('honours --input-format for files without a known extension', async () => {
    const odd = file('page.data', '<p>Hello there.</p><p>Second one.</p>');
    const r = await ptd(['score', '-m', FIXTURE, '-f', 'json', '--input-format', 'html', odd]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).sentences).toHaveLength(2);
  });

  it('leaves Russian sentences unscored and says why; shows the evidence of flagged sentences (JSON and pretty)', async () => {
    const text = `${PROSE}\n\nЭто статья о развитии города. Жители надеются, что власти построят больше дорог.`;
    const json = await ptd(['score', '-m', FIXTURE, '--format', 'json', '--threshold', '0'], text);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.sentences.slice(4)).toEqual([
      expect.objectContaining({ score: null, label: 'skipped', skipped: 'language' }),
      expect.objectContaining({ score: null, label: 'skipped', skipped: 'language' }),
    ]);
    expect(out.coverage).toEqual({ sentences: 6, scored: 4, skipped: 2, truncated: 0 });
    const flagged = out.sentences.filter((s: { label: string }) => s.label === 'paraphrased');
    expect(flagged).toHaveLength(4);
    for (const s of flagged) expect(Array.isArray(s.evidence)).toBe(true);
    const pretty = await ptd(['score', '-m', FIXTURE, '--threshold', '0'], text);
    expect(pretty.stdout).toMatch(/2 not checked \(2 not English\)/);
    expect(pretty.stdout).toContain('Это статья о развитии города.');
    const words = flagged.flatMap((s: { evidence: Array<{ text: string }> }) => s.evidence.map((e) => e.text));
    if (words.length) expect(pretty.stdout).toContain(`“${words[0]}”`);
    const none = await ptd(['score', '-m', FIXTURE, '--format', 'json', '--threshold', '0', '--no-evidence'], text);
    expect(JSON.parse(none.stdout).sentences.every((s: { evidence?: unknown }) => s.evidence === undefined)).toBe(true);
    const chinese = await ptd(['score', '-m', FIXTURE], '这是一篇关于城市发展的文章。居民们希望政府能够修建更多的道路。');
    expect(chinese.stdout).toMatch(/0 flagged .*2 not checked \(2 not English\).*not reliable: not English — not checked/);
  });

  it('warns on stderr when the requested device falls back', async () => {
    const r = await ptd(['score', '-m', FIXTURE, '--device', 'wasm', '-f', 'json'], PROSE);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wasm is not available .*; running on cpu/);
    expect(JSON.parse(r.stdout).model.fallbacks[0].device).toBe('wasm');
  });
});

describe('ptd score: errors', { timeout: 300_000 }, () => {
  it('unreadable file: exit 1', async () => {
    const r = await ptd(['score', '-m', FIXTURE, path.join(dir, 'missing.txt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*missing\.txt: no such file/);
    expect(r.stdout).toBe('');
  });

  it('a directory: exit 1', async () => {
    const sub = path.join(dir, 'folder.txt');
    mkdirSync(sub, { recursive: true });
    const r = await ptd(['score', '-m', FIXTURE, sub]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is a directory/);
  });

  it('unsupported format: exit 2', async () => {
    const pdf = file('paper.pdf', '%PDF');
    const r = await ptd(['score', '-m', FIXTURE, pdf]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unsupported format "\.pdf"/);
  });

  it('empty input: exit 1', async () => {
    const r = await ptd(['score', '-m', FIXTURE], '  \n\n ');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty input: stdin has no text/);
    const empty = file('empty.txt', '');
    expect((await ptd(['score', '-m', FIXTURE, empty])).stderr).toMatch(/empty input: .*empty\.txt/);
  });

  it('bad JSON lines: exit 1 with the line number', async () => {
    const bad = file('bad.jsonl', '{"text": "fine."}\n{"title": "no text"}\n');
    const r = await ptd(['score', '-m', FIXTURE, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl line 2: no "text" string field/);
    const broken = file('broken.jsonl', '{not json\n');
    expect((await ptd(['score', '-m', FIXTURE, broken])).stderr).toMatch(/line 1: not valid JSON/);
  });

  it('unknown model: exit 2', async () => {
    const r = await ptd(['score', '-m', 'no-such-model'], PROSE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown model "no-such-model"/);
    const hub = await ptd(['score', '-m', 'someone/some-model'], PROSE);
    expect(hub.code).toBe(2);
    expect(hub.stderr).toMatch(/downloading hub models is off/);
  });

  it('bad flags: exit 2', async () => {
    const runs = await Promise.all([
      ptd(['score', '-m', FIXTURE, '--threshold', '1.5'], PROSE),
      ptd(['score', '-m', FIXTURE, '--format', 'xml'], PROSE),
      ptd(['score', '-m', FIXTURE, '--dtype', 'fp16'], PROSE),
      ptd(['score', '-m', FIXTURE, '--device', 'tpu'], PROSE),
      ptd(['score', '-m', FIXTURE, '--target-fpr', '0.05', '--threshold', '0.5'], PROSE),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[4]!.stderr).toMatch(/either --threshold or --target-fpr/);
    expect(runs[0]!.stderr).toMatch(/--threshold must be a probability between 0 and 1/);
    expect(runs[1]!.stderr).toMatch(/Allowed choices are pretty, json, jsonl/);
  });
});
