// Training smoke test: builds a vocabulary, pretrains and fine-tunes a tiny model for a few steps on the
// hand-written PASTED fixture, exports fp32 + int8 ONNX, and loads the result through the runtime.
// Needs Debian's /usr/bin/python3 with python3-torch and python3-onnx (model/train/setup.sh).
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { loadNodeDetector } from '../../model/node.ts';

const run = promisify(execFile);
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
const FIXTURE = 'tests/fixtures/pasted-small.jsonl';

describe.skipIf(!hasTorch)('training pipeline (tiny model, fixture data)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ptd-train-'));
  const modelDir = path.join(dir, 'model');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains, calibrates and exports a model directory', async () => {
    await run(PY, ['model/train/pipeline.py', '--size', 'tiny', '--corpus', path.join(dir, 'no-corpus'),
      '--train', FIXTURE, '--validation', FIXTURE, '--work', path.join(dir, 'work'), '--out', modelDir,
      '--vocab-size', '300', '--mlm-minutes', '0.05', '--minutes', '1', '--max-steps', '6', '--eval-minutes', '0',
      '--max-tokens', '128', '--batch-tokens', '1024', '--threads', '1', '--wide-epochs', '1', '--wide-buckets', '4096',
      '--degree-epochs', '2',
      // evaluations every step (--eval-minutes 0) must not stop it early: how far the time-budgeted masked-LM
      // stage gets depends on the machine's load, and with it whether 4 evaluations in a row fail to improve
      '--patience', '100'],
    { env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const config = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForTokenClassification']);
    expect(config.num_labels).toBe(2);
    expect(config.ptd.outputs).toEqual({ paraphrase: 0, degree: 1 });
    expect(config.ptd.max_tokens).toBe(128);
    expect(config.max_position_embeddings).toBe(128);
    expect(config.ptd.calibration.temperature).toBeGreaterThan(0);
    expect(config.ptd.thresholds.map((t: { target_fpr: number }) => t.target_fpr)).toEqual([0.01, 0.05]);
    for (const t of config.ptd.thresholds) {
      expect(t.threshold).toBeGreaterThan(0);
      expect(t.achieved_fpr).toBeLessThanOrEqual(t.target_fpr);
    }
    expect(config.ptd.training.steps).toBe(6);
    // the wide half is joined into the graph, with the mix fitted on validation
    expect(config.ptd.wide.buckets).toBe(4096);
    for (const k of ['deep', 'wide', 'offset', 'context']) expect(Number.isFinite(config.ptd.wide.mix[k])).toBe(true);
    // the context head's weight is fixed (pipeline.py CONTEXT_WEIGHT), the others are fitted around it
    expect(config.ptd.wide.mix.context).toBe(0.3);
    // and so is the context head (sentence-level transformer over bag-of-n-gram sentence vectors)
    expect(config.ptd.context).toMatchObject({ buckets: 4096, dim: 8, layers: 3, shapes: 16 });
    expect(statSync(path.join(dir, 'work', 'context', 'context.pt')).size).toBeGreaterThan(4096 * 8 * 4);
    expect(statSync(path.join(modelDir, 'onnx/model.onnx')).size).toBeGreaterThan(4096 * 4);
    // channel 1 comes from the degree head (trained on the paraphrased sentences' lexical change), with both
    // degree predictors' quality on validation recorded
    expect(config.ptd.degree.buckets).toBe(4096);
    for (const who of ['encoder', 'degree_head']) expect(config.ptd.degree.validation[who].mae_paraphrased).toBeGreaterThanOrEqual(0);
    expect(statSync(path.join(dir, 'work', 'wide', 'degree.pt')).size).toBeGreaterThan(4096 * 4);
    // the encoder was fine-tuned again on the residual of the wide half's out-of-fold logits
    const oof = JSON.parse(readFileSync(path.join(dir, 'work', 'wide', 'oof.json'), 'utf8'));
    expect(oof.logits).toHaveLength(12);
    expect(statSync(path.join(dir, 'work', 'residual', 'best.pt')).size).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, 'work', 'residual', 'log.txt'), 'utf8')).toContain('out-of-fold wide logits');
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx']) {
      expect(statSync(path.join(modelDir, f)).size).toBeGreaterThan(0);
    }
  }, 110_000);

  it('computes the wide half inside a window exactly as it was trained, sentence by sentence', () => {
    const py = spawnSync(PY, ['model/train/wide.py', 'selftest'], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    expect(JSON.parse(py.stdout).max_abs_diff).toBeLessThan(1e-5);
  });

  it('computes the context head over token positions exactly as it was trained over sentences', () => {
    const py = spawnSync(PY, ['model/train/context.py', 'selftest'], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    expect(JSON.parse(py.stdout).max_abs_diff).toBeLessThan(1e-4);
  });

  it('rebuilds the PyTorch weights from the exported ONNX file, and refuses a config that does not match', async () => {
    const out = path.join(dir, 'recovered');
    // recover.py itself compares the rebuilt model's logits with the ONNX file's through transformers.js
    const { stderr } = await run(PY, ['model/train/recover.py', modelDir, '--out', out]);
    const check = JSON.parse(stderr.slice(stderr.indexOf('{')));
    expect(check.fp32.maxAbsErr).toBeLessThan(1e-3);
    for (const f of ['pytorch_model.bin', 'wide.bin', 'context.bin', 'degree.bin', 'config.json', 'tokenizer.json']) {
      expect(statSync(path.join(out, f)).size).toBeGreaterThan(0);
    }
    // a config that describes a different context head (one layer fewer) must not load these weights
    const wrong = path.join(dir, 'wrong');
    await run('cp', ['-r', modelDir, wrong]);
    const config = JSON.parse(readFileSync(path.join(wrong, 'config.json'), 'utf8'));
    config.ptd.context.layers -= 1;
    writeFileSync(path.join(wrong, 'config.json'), JSON.stringify(config));
    const bad = spawnSync(PY, ['model/train/recover.py', wrong, '--out', path.join(dir, 'wrong-out'), '--no-node-check'],
      { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('weights the config does not describe');
  }, 60_000);

  it('joins the recovered weights again into the same model, degree head included (the cards\' "from the shipped files" path)', async () => {
    const rec = path.join(dir, 'recovered');
    const rejoined = path.join(dir, 'rejoined');
    await run(PY, ['model/train/combine.py', '--model', modelDir, '--weights', path.join(rec, 'pytorch_model.bin'),
      '--wide', path.join(rec, 'wide.bin'), '--context', path.join(rec, 'context.bin'), '--context-weight', '0.3',
      '--degree', path.join(rec, 'degree.bin'), '--validation', FIXTURE, '--out', rejoined, '--keep', path.join(dir, 'rejoined-keep'),
      '--threads', '1', '--no-node-check'], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const before = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')).ptd;
    const after = JSON.parse(readFileSync(path.join(rejoined, 'config.json'), 'utf8')).ptd;
    expect(after.degree).toEqual(before.degree);
    expect(after.wide.mix).toEqual(before.wide.mix);
    // a wide half is not a degree head: combine refuses it by name
    const wrong = spawnSync(PY, ['model/train/combine.py', '--model', modelDir, '--weights', path.join(rec, 'pytorch_model.bin'),
      '--wide', path.join(rec, 'wide.bin'), '--degree', path.join(rec, 'wide.bin'), '--validation', FIXTURE,
      '--out', path.join(dir, 'never'), '--no-node-check'], { encoding: 'utf8' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('not a degree head');
  }, 90_000);

  it('scores the heads on a family of sources held out of their training (crossfamily.py)', async () => {
    // the fixture relabelled: its first four documents come from MixSet, the rest stay in the "spans" family
    const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const relabelled = lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), source: i < 4 ? 'mixset' : 'fixture' }));
    const data = path.join(dir, 'families.jsonl');
    writeFileSync(data, relabelled.join('\n') + '\n');
    const mixsetSentences = lines.slice(0, 4).reduce((n, l) => n + JSON.parse(l).label.length, 0);
    const out = path.join(dir, 'crossfamily.json');
    const { stdout } = await run(PY, ['model/train/crossfamily.py', '--model', modelDir, '--recovered',
      path.join(dir, 'recovered'), '--train', data, '--validation', data, '--work', path.join(dir, 'cf'),
      '--families', 'mixset', '--out', out, '--threads', '1'], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const res = JSON.parse(readFileSync(out, 'utf8'));
    for (const row of ['unseen', 'seen']) {
      const joined = res.families.mixset[row].joined;
      expect(joined.sentences).toBe(mixsetSentences);
      expect(joined.auroc).toBeGreaterThanOrEqual(0);
      expect(joined.auroc).toBeLessThanOrEqual(1);
    }
    expect(stdout).toContain('| mixset |');
    // the held-out heads were trained on the other family only
    expect(statSync(path.join(dir, 'cf', 'mixset', 'context.pt')).size).toBeGreaterThan(0);
    const bad = spawnSync(PY, ['model/train/crossfamily.py', '--model', modelDir, '--work', path.join(dir, 'cf'),
      '--train', data, '--validation', data, '--families', 'brown'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("unknown families ['brown']");
  }, 60_000);

  it('encodes sentences in Python exactly as transformers.js does', async () => {
    const sentences = ['Hello, world!', "It's 9:30 a.m.; naïve café — “quoted” [SEP] text.", 'Zebras 😀 and 中文'];
    const py = spawnSync(PY, ['model/train/tokenizer.py', 'encode', '--dir', modelDir], {
      input: sentences.map((s) => JSON.stringify(s)).join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(py.status).toBe(0);
    const pyIds = py.stdout.trim().split('\n').map((l) => JSON.parse(l));
    env.allowRemoteModels = false;
    env.localModelPath = dir + '/';
    const tok = await AutoTokenizer.from_pretrained('model');
    expect(pyIds).toEqual(sentences.map((s) => tok.encode(s, { add_special_tokens: false })));
  });

  it('loads through the runtime and scores every sentence', async () => {
    for (const dtype of ['fp32', 'q8'] as const) {
      const detector = await loadNodeDetector({ model: modelDir, dtype, device: 'cpu' });
      const sentences = ['We walked up the hill on Sunday.', 'The vista served as a poignant reminder of beauty.',
        'Then it started to rain so we went home.'];
      const result = await detector.scoreSentences(sentences);
      expect(result.sentences).toHaveLength(3);
      for (const s of result.sentences) {
        expect(s.score).toBeGreaterThanOrEqual(0);
        expect(s.score).toBeLessThanOrEqual(1);
        expect(s.degree).toBeGreaterThanOrEqual(0);
        expect(s.degree).toBeLessThanOrEqual(1);
      }
      expect(detector.maxTokens).toBe(128);
      await detector.dispose();
    }
  });
});
