// The training pipeline end to end on the hand-written fixture, with the tiny size: `ptd train` (vocabulary,
// training, export, calibration through the runtime, evaluation, one held-out family, the card), resuming an
// interrupted run to the same weights, `ptd promote`, the exported graph against the training computation, and the
// Python tokenizer against transformers.js. Needs a python3 with torch and onnx (Debian: python3-torch python3-onnx).
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { findPython } from '../../cli/commands/train.ts';
import { ptd } from '../helpers/ptd.ts';
import { describeIfAvailable } from '../helpers/requires.ts';

const run = promisify(execFile);
let PY = '';
try {
  PY = findPython();
} catch {
  PY = '';
}
const FIXTURE = 'tests/fixtures/pasted-small.jsonl';
const env = { ...process.env, OMP_NUM_THREADS: '1' };

describeIfAvailable('training pipeline (tiny model, fixture data)', PY !== '', 'python3 with torch and onnx (apt-get install python3-torch python3-onnx libopenblas0-pthread, or set PTD_PYTHON)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ptd-train-'));
  const data = path.join(dir, 'data');
  const runDir = path.join(dir, 'run');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // the fixture as a dataset: its first four documents from MixSet (a family to hold out), the rest elsewhere
  mkdirSync(data);
  const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
  const relabelled = lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), source: i < 4 ? 'mixset' : 'fixture' })).join('\n') + '\n';
  for (const split of ['train', 'validation', 'test']) writeFileSync(path.join(data, `${split}.jsonl`), relabelled);
  writeFileSync(path.join(data, 'stats.json'), JSON.stringify({ corpus: { sha256: 'c0ffee' } }));
  const mixsetSentences = lines.slice(0, 4).reduce((n, l) => n + JSON.parse(l).label.length, 0);

  it('trains, calibrates, evaluates, holds a family out and writes the card', async () => {
    // 60 steps: enough for the tiny net to fit the twelve fixture documents it is then scored on
    const r = await ptd('train', '--size', 'tiny', '--data', data, '--run', runDir, '--steps', '60', '--crossfamily-steps', '8',
      '--families', 'mixset', '--bootstrap', '20', '--threads', '1', '--python', PY);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    const config = JSON.parse(readFileSync(path.join(runDir, 'model', 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForTokenClassification']);
    expect(config.ptd.outputs).toEqual({ paraphrase: 0, degree: 1 });
    expect(config.ptd.max_tokens).toBe(128);
    expect(config.ptd.calibration.fitted_on).toBe('validation.jsonl');
    expect(config.ptd.calibration.temperature).toBeGreaterThan(0);
    expect(config.ptd.thresholds.map((t: { target_fpr: number }) => t.target_fpr)).toEqual([0.01, 0.05]);
    for (const t of config.ptd.thresholds) expect(t.achieved_fpr).toBeLessThanOrEqual(t.target_fpr);
    // reproducibility facts: step budget, seed, the corpus hash from the dataset, the data files' hashes
    const training = config.ptd.training;
    expect(training.settings.steps).toBe(60);
    expect(training.settings.seed).toBe(13);
    expect(training.corpus_sha256).toBe('c0ffee');
    expect(training.data.train.sha256).toBe(createHash('sha256').update(relabelled).digest('hex'));
    expect(training.git_commit).toMatch(/^[0-9a-f]{40}/);
    // the model learned the data it saw (a broken loss or shuffled labels stay near 0.5)
    const test = JSON.parse(readFileSync(path.join(runDir, 'eval-test.json'), 'utf8'));
    expect(test.auroc).toBeGreaterThan(0.85);
    expect(test.ci.auroc[0]).toBeLessThanOrEqual(test.auroc);
    expect(Object.keys(test.groups)).toContain('construction=splice');
    // the held-out family: trained without MixSet's records, scored on exactly them through the runtime
    const cf = JSON.parse(readFileSync(path.join(runDir, 'crossfamily.json'), 'utf8'));
    expect(Object.keys(cf.families)).toEqual(['mixset']);
    expect(cf.families.mixset.sentences).toBe(mixsetSentences);
    const held = JSON.parse(readFileSync(path.join(runDir, 'crossfamily', 'mixset', 'model', 'config.json'), 'utf8'));
    expect(held.ptd.training.hold_out_family).toBe('mixset');
    expect(held.ptd.training.records).toBe(lines.length - 4);
    const card = readFileSync(path.join(runDir, 'MODEL_CARD.md'), 'utf8');
    for (const heading of ['## Metrics', '### Test split by construction', '### Test split by source', '## Documents and paraphrasers never seen', '## Reproduce']) {
      expect(card).toContain(heading);
    }
    expect(card).toContain(`| test | 12 | ${test.sentences} |`);
  }, 240_000);

  it('resumes an interrupted run and ends in the same weights as an uninterrupted one', async () => {
    const vocab = path.join(runDir, 'vocab');
    const fit = (runName: string, extra: string[]) =>
      run(PY, ['-m', 'model.train', 'fit', '--size', 'tiny', '--data', data, '--vocab', vocab, '--run', path.join(dir, runName),
        '--steps', '8', '--threads', '1', '--no-check', ...extra], { env });
    await fit('straight', []);
    const first = await fit('interrupted', ['--stop-after', '4']);
    expect(first.stderr).toContain('stopped at step 4/8');
    const second = await fit('interrupted', []);
    expect(second.stderr).toContain('resumed at step 4/8');
    const compare = spawnSync(PY, ['-c', [
      'import sys, torch',
      'a = torch.load(sys.argv[1])["state"]; b = torch.load(sys.argv[2])["state"]',
      'print(max(float((a[k] - b[k]).abs().max()) for k in a))',
    ].join('\n'), path.join(dir, 'straight', 'net.pt'), path.join(dir, 'interrupted', 'net.pt')], { encoding: 'utf8' });
    expect(compare.status).toBe(0);
    expect(Number(compare.stdout)).toBe(0);
  }, 120_000);

  it('promotes a calibrated run with each file\'s sha256 in config.json, and refuses an uncalibrated one', async () => {
    const to = path.join(dir, 'weights', 'ptd-tiny');
    mkdirSync(path.dirname(to));
    const r = await ptd('promote', '--run', runDir, '--to', to, '--model-version', '1.2.3');
    expect(r.code).toBe(0);
    const config = JSON.parse(readFileSync(path.join(to, 'config.json'), 'utf8'));
    expect(config.ptd.version).toBe('1.2.3');
    expect(Object.keys(config.ptd.files).sort()).toEqual(['onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    for (const [f, sum] of Object.entries(config.ptd.files)) {
      expect(createHash('sha256').update(readFileSync(path.join(to, f))).digest('hex')).toBe(sum);
    }
    expect(readFileSync(path.join(to, 'MODEL_CARD.md'), 'utf8')).toMatch(/^# ptd-tiny 1\.2\.3/);
    // the promoted model scores through the runtime
    const scored = await ptd('score', '--model', to, '--format', 'json', 'tests/fixtures/trip-report.txt');
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.stdout).model.version).toBe('1.2.3');
    // a shipped file that changed afterwards is refused by name when the model is loaded
    const onnx = path.join(to, 'onnx', 'model_quantized.onnx');
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(onnx, bytes);
    const tampered = await ptd('score', '--model', to, 'tests/fixtures/trip-report.txt');
    expect(tampered.code).not.toBe(0);
    expect(tampered.stderr).toMatch(/model_quantized\.onnx is not the file this model shipped/);
    // a run whose calibration never happened is not a model to ship
    const straight = path.join(dir, 'straight');
    writeFileSync(path.join(straight, 'MODEL_CARD.md'), '# x');
    const bad = await ptd('promote', '--run', straight, '--to', path.join(dir, 'weights', 'never'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not calibrated');
  }, 60_000);

  it('runs the GPU recipe (model/train/gpu.sh) end to end on the CPU with the tiny size', async () => {
    const out = path.join(dir, 'gpu-check');
    const { stderr } = await run('sh', ['model/train/gpu.sh', data, out], {
      env: { ...env, SIZE: 'tiny', DEVICE: 'cpu', THREADS: '1', PTD_PYTHON: PY },
    });
    expect(stderr).toMatch(/gpu\.sh: tiny on cpu in \d+ s/);
    const config = JSON.parse(readFileSync(path.join(out, 'model', 'config.json'), 'utf8'));
    expect(config.ptd.training.settings.steps).toBe(8);
    expect(config.ptd.training.device).toBe('cpu');
    const scored = await ptd('score', '--model', path.join(out, 'model'), '--format', 'json', 'tests/fixtures/trip-report.txt');
    expect(scored.code).toBe(0);
  }, 120_000);

  it('computes the exported graph exactly as training computed it, sentence by sentence', () => {
    const py = spawnSync(PY, ['-m', 'model.train', 'selftest'], { encoding: 'utf8' });
    expect(py.status).toBe(0);
    expect(JSON.parse(py.stdout).max_abs_diff).toBeLessThan(1e-4);
  });

  it('tokenizes like transformers.js, Unicode edge cases included', async () => {
    const strings = [
      'Hello, world!', '  leading and trailing  ', 'tab\there\nnewline', 'non\u00a0breaking\u2009thin\u3000ideo',
      'zero\u200bwidth\u200djoiner\ufeffbom', 'emoji 😀👍🏽', '中文字符 and 日本語, 한국어', 'Ünïcödé — “quotes” … ellipsis',
      'literal [SEP] and [CLS][MASK] tokens', 'a'.repeat(120), 'control\u0000\u0001chars', "It's O'Neill's \"thing\"",
      'U.S.A. e.g. Dr. Smith 3.14159', '', 'soft\u00adhyphen', 'Ελληνικά Кириллица العربية', ...lines.map((l) => JSON.parse(l).text as string),
    ];
    const file = path.join(dir, 'strings.jsonl');
    writeFileSync(file, strings.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const tokDir = path.join(runDir, 'model');
    const js = await run('node', ['model/train/verify_tokenizer.mjs', tokDir, file]);
    const py = spawnSync(PY, ['-c', [
      'import json, sys',
      'from model.train.tokenizer import WordPieceTokenizer',
      'tok = WordPieceTokenizer.from_dir(sys.argv[1])',
      'for line in open(sys.argv[2], encoding="utf-8"): print(json.dumps(tok.encode(json.loads(line)), separators=(",", ":")))',
    ].join('\n'), tokDir, file], { encoding: 'utf8' });
    expect(py.status).toBe(0);
    expect(py.stdout.trim().split('\n')).toEqual(js.stdout.trim().split('\n'));
    expect(js.stdout.trim().split('\n')).toHaveLength(strings.length);
  }, 60_000);
});
