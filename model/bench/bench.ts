// `npm run bench [-- --model DIR ...] [--dtype q8,fp32] [--device auto] [--json]`
// Speed of the runtime, tokenizer included: documents/s and tokens/s for 1, 32 and 256 documents of ~300 tokens,
// a 1,500-word article without and with evidence for its flagged sentences (at the model's 5%-FPR threshold, so that
// some are flagged) and one 20,000-word document, plus peak memory (RSS). Each model × dtype runs in its own child process so
// that its peak RSS is its own. Without --model it measures the bundled models (model/weights/ptd-*), or the test
// fixture when none is installed. It prints figures; it asserts nothing.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDetector } from '../detector.ts';
import { parsePtdConfig, thresholdFor } from '../config.ts';
import { loadModel } from '../infer.ts';
import { bundledModels, resolveModel } from '../node.ts';
import type { Device, Dtype } from '../types.ts';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '..', '..');
const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'models', 'tiny');

interface Args {
  models: string[];
  dtypes: Dtype[];
  device: Device;
  json: boolean;
  worker: boolean;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { models: [], dtypes: ['q8', 'fp32'], device: 'auto', json: false, worker: false, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--model' || a === '-m') args.models.push(next());
    else if (a === '--dtype') args.dtypes = next().split(',') as Dtype[];
    else if (a === '--device') args.device = next() as Device;
    else if (a === '--json') args.json = true;
    else if (a === '--worker') args.worker = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--model small|base|DIR]... [--dtype q8,fp32] [--device auto|cpu|cuda] [--quick] [--json]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const d of args.dtypes) if (d !== 'q8' && d !== 'fp32') throw new Error(`unknown dtype ${d}`);
  return args;
}

// Deterministic English-like prose (the bench must run on a fresh clone, without the corpus).
const SUBJECTS = ['The committee', 'Our team', 'The new policy', 'A local teacher', 'The report', 'Most residents', 'The company', 'Researchers at the university', 'The mayor', 'Her latest novel'];
const VERBS = ['announced', 'suggested', 'questioned', 'described', 'reviewed', 'improved', 'challenged', 'explained', 'documented', 'rejected'];
const OBJECTS = ['the budget for next year', 'a plan to rebuild the old bridge', 'the results of the survey', 'several changes to the schedule', 'the history of the town', 'an unusual approach to the problem', 'the costs of the project', 'the way students learn'];
const TAILS = ['after a long meeting on Tuesday', 'despite strong objections', 'in a statement to the press', 'with little public attention', 'for the first time since 2019', 'according to people familiar with the matter', 'although many details remain unclear', ''];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function sentence(r: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const tail = pick(TAILS);
  return `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${tail ? ` ${tail}` : ''}.`;
}

/** A document of about `tokens` tokens for this tokenizer ([CLS] and one [SEP] per sentence included). */
function documentOfTokens(encode: (s: string) => number[], tokens: number, seed: number): { text: string; tokens: number } {
  const r = rng(seed);
  const parts: string[] = [];
  let count = 1;
  while (count < tokens) {
    const s = sentence(r);
    const n = encode(s).length + 1;
    if (count + n > tokens + 10 && parts.length > 0) break;
    parts.push(s);
    count += n;
  }
  return { text: parts.join(' '), tokens: count };
}

function documentOfWords(encode: (s: string) => number[], words: number, seed: number): { text: string; tokens: number } {
  const r = rng(seed);
  const paras: string[] = [];
  let para: string[] = [];
  let count = 0;
  let tokens = 0;
  while (count < words) {
    const s = sentence(r);
    count += s.split(' ').length;
    tokens += encode(s).length + 1;
    para.push(s);
    if (para.length === 6) {
      paras.push(para.join(' '));
      para = [];
    }
  }
  if (para.length) paras.push(para.join(' '));
  return { text: paras.join('\n\n'), tokens: tokens + 1 };
}

interface Measure {
  label: string;
  docs: number;
  tokens: number;
  seconds: number;
  /** Median time of one run, in ms (the 1-document case repeats). */
  ms: number;
  /** CPU time (user + system, all threads) of one run, in ms: less sensitive than wall time to a busy machine. */
  cpuMs: number;
}

interface WorkerResult {
  model: string;
  name: string;
  version: string;
  dtype: Dtype;
  device: string;
  fallbacks: string[];
  loadMs: number;
  measures: Measure[];
  peakRssMb: number;
}

async function timeIt(fn: () => Promise<unknown>, repeats: number): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}

const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;

async function worker(model: string, dtype: Dtype, device: Device, quick: boolean): Promise<WorkerResult> {
  const resolved = resolveModel(model);
  const t0 = performance.now();
  const loaded = await loadModel({ id: resolved.id, dtype, device });
  const detector = createDetector(loaded, parsePtdConfig(loaded.config, model));
  const loadMs = performance.now() - t0;
  const encode = loaded.tokenizer.encode;

  const docs = Array.from({ length: 256 }, (_, i) => documentOfTokens(encode, 300, 1000 + i));
  const long = documentOfWords(encode, 20_000, 7);
  const measures: Measure[] = [];

  // Warm-up (first runs allocate ONNX Runtime buffers).
  for (let i = 0; i < 3; i++) await detector.score(docs[i]!.text);
  await detector.scoreMany(docs.slice(0, 32).map((d) => ({ text: d.text })));

  const one = await timeIt(() => detector.score(docs[0]!.text), quick ? 5 : 30);
  measures.push({ label: '1 doc', docs: 1, tokens: docs[0]!.tokens, seconds: median(one.wall) / 1000, ms: median(one.wall), cpuMs: median(one.cpu) });

  for (const n of [32, 256]) {
    const batch = docs.slice(0, n).map((d) => ({ text: d.text }));
    const times = await timeIt(() => detector.scoreMany(batch), quick || n === 256 ? 1 : 3);
    const tokens = docs.slice(0, n).reduce((a, d) => a + d.tokens, 0);
    measures.push({ label: `${n} docs`, docs: n, tokens, seconds: median(times.wall) / 1000, ms: median(times.wall), cpuMs: median(times.cpu) });
  }

  // Evidence costs a few model runs per flagged sentence: the same article without and with it.
  const article = documentOfWords(encode, 1500, 11);
  const threshold = thresholdFor(detector.thresholds, 0.05).threshold;
  const plain = await timeIt(() => detector.score(article.text, { threshold }), quick ? 2 : 5);
  measures.push({ label: '1.5k words', docs: 1, tokens: article.tokens, seconds: median(plain.wall) / 1000, ms: median(plain.wall), cpuMs: median(plain.cpu) });
  const flagged = (await detector.score(article.text, { threshold })).sentences.filter((s) => s.label === 'paraphrased').length;
  const explained = await timeIt(() => detector.score(article.text, { threshold, evidence: true }), quick ? 2 : 5);
  measures.push({
    label: `+ evidence (${flagged} flagged)`,
    docs: 1,
    tokens: article.tokens,
    seconds: median(explained.wall) / 1000,
    ms: median(explained.wall),
    cpuMs: median(explained.cpu),
  });

  const longTimes = await timeIt(() => detector.score(long.text), 1);
  measures.push({ label: '20k words', docs: 1, tokens: long.tokens, seconds: longTimes.wall[0]! / 1000, ms: longTimes.wall[0]!, cpuMs: longTimes.cpu[0]! });

  const info = detector.info;
  await detector.dispose();
  return {
    model,
    name: info.name,
    version: info.version,
    dtype,
    device: info.device,
    fallbacks: info.fallbacks.map((f) => f.device),
    loadMs,
    measures,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function runWorker(model: string, dtype: Dtype, args: Args): Promise<WorkerResult> {
  const childArgs = ['--import', 'tsx', HERE, '--worker', '--model', model, '--dtype', dtype, '--device', args.device];
  if (args.quick) childArgs.push('--quick');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`benchmark of ${model} (${dtype}) failed with exit code ${code}`));
      else resolve(JSON.parse(out) as WorkerResult);
    });
  });
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(results: WorkerResult[]): string {
  const rows: string[][] = [['model', 'dtype', 'device', 'load ms', 'case', 'docs', 'tokens', 'time', 'docs/s', 'tokens/s', 'CPU ms/doc', 'peak RSS MB']];
  for (const r of results) {
    r.measures.forEach((m, k) => {
      rows.push([
        k === 0 ? `${r.name} ${r.version}` : '',
        k === 0 ? r.dtype : '',
        k === 0 ? r.device : '',
        k === 0 ? fmt(r.loadMs) : '',
        m.label,
        String(m.docs),
        fmt(m.tokens),
        m.ms < 1000 ? `${fmt(m.ms, 1)} ms` : `${fmt(m.ms / 1000, 2)} s`,
        fmt(m.docs / m.seconds, 1),
        fmt(m.tokens / m.seconds),
        fmt(m.cpuMs / m.docs, 1),
        k === 0 ? fmt(r.peakRssMb) : '',
      ]);
    });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) {
    const result = await worker(args.models[0]!, args.dtypes[0]!, args.device, args.quick);
    process.stdout.write(JSON.stringify(result));
    return;
  }
  let models = args.models;
  if (models.length === 0) {
    models = bundledModels()
      .filter((m) => m.available)
      .map((m) => m.alias);
    if (models.length === 0) {
      process.stderr.write(`bench: no bundled model installed in model/weights/; measuring the test fixture instead\n`);
      models = [FIXTURE];
    }
  }
  const cpus = os.cpus();
  process.stderr.write(
    `bench: ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}` +
      ' (wall-clock figures are only meaningful on an otherwise idle machine; CPU ms/doc is steadier)\n',
  );
  const results: WorkerResult[] = [];
  for (const model of models) {
    for (const dtype of args.dtypes) {
      process.stderr.write(`bench: ${model} ${dtype} ...\n`);
      results.push(await runWorker(model, dtype, args));
    }
  }
  if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(`${table(results)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
