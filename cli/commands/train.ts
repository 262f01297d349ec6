// `ptd train`: the whole recipe of a shipped model, corpus to model card, each stage skipped when its output is
// already there (so an interrupted run continues): dataset → vocabulary → training (PyTorch, model/train) →
// calibration through the runtime → evaluation (test with bootstrap intervals; generated texts) → the families
// held out one at a time → MODEL_CARD.md. `ptd promote` then copies the result into model/weights.
import type { Command } from 'commander';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CliError, UsageError } from '../errors.ts';
import { isCount, parseNumber } from '../options.ts';
import { renderCard, wilson, type CrossFamily, type HumanFpr } from '../../dataset/card.ts';
import { evaluate, type EvalResult } from '../../dataset/evaluate.ts';
import { readPasted, writeTextAtomic, type ParsedRecord } from '../../dataset/records.ts';
import { loadModel, scoreRecords } from '../score-records.ts';
import { generatedFile, runBuild } from './dataset.ts';
import { runCalibrate } from './calibrate.ts';

export interface TrainOptions {
  size: string;
  corpus: string;
  data: string;
  run: string;
  version: string;
  steps?: number;
  crossfamilySteps?: number;
  families?: string;
  bootstrap: number;
  python?: string;
  threads: number;
  device: string;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A Python that can train: --python, $PTD_PYTHON, or the first of Debian's and PATH's python3 that has torch and onnx. */
export function findPython(given?: string): string {
  const candidates = given ? [given] : process.env.PTD_PYTHON ? [process.env.PTD_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const py of candidates) {
    const probe = spawnSync(py, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    if (probe.status === 0) return py;
  }
  throw new CliError(
    `no Python with torch and onnx found (tried ${candidates.join(', ')}): on Debian, apt-get install python3-torch python3-onnx libopenblas0-pthread, or set PTD_PYTHON`,
  );
}

/** Runs `python -m model.train ...` with its output on our stderr; fails with the stage's name. */
function python(py: string, stage: string, args: string[], threads: number): Promise<void> {
  log(`[${stage}] ${py} -m model.train ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(py, ['-m', 'model.train', ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    child.on('error', (err) => reject(new CliError(`${stage}: ${err.message}`)));
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new CliError(`${stage} failed (${signal ?? `exit ${code}`}); rerun the same command to resume`)),
    );
  });
}

async function evaluateSplit(modelDir: string, data: string, by: string[], bootstrap: number): Promise<EvalResult> {
  const { records } = await readPasted(data);
  const detector = await loadModel(modelDir);
  try {
    const { scores, notScored } = await scoreRecords(records, detector);
    const result = evaluate(records, scores, {
      by,
      threshold: detector.defaultThreshold,
      thresholdSource: "the model's default threshold",
      bootstrap: bootstrap ? { replicates: bootstrap, seed: 13 } : undefined,
    });
    return notScored.sentences > 0 ? { ...result, not_scored: notScored } : result;
  } finally {
    await detector.dispose();
  }
}

/** Human documents of a source (untouched originals and passages), from the given splits. */
async function humanDocuments(data: string, splits: string[], source: string): Promise<ParsedRecord[]> {
  const out: ParsedRecord[] = [];
  for (const split of splits) {
    const { records } = await readPasted(join(data, `${split}.jsonl`));
    out.push(...records.filter((r) => r.fields.source === source && ['original', 'human'].includes(String(r.fields.construction))));
  }
  return out;
}

/** FPR at the model's threshold on Brown (1961) test passages and on the TOEFL essays of non-native writers
 * (source detector-bias; test and validation, too few in test alone), with Wilson 95% intervals. */
async function humanFalsePositives(modelDir: string, data: string): Promise<HumanFpr[]> {
  const sets = [
    { name: 'Brown corpus, 1961 (test)', records: await humanDocuments(data, ['test'], 'brown') },
    { name: 'TOEFL and student essays, non-native writers (detector-bias; test + validation)', records: await humanDocuments(data, ['test', 'validation'], 'detector-bias') },
  ].filter((s) => s.records.length > 0);
  if (!sets.length) return [];
  const detector = await loadModel(modelDir);
  try {
    const out: HumanFpr[] = [];
    for (const s of sets) {
      const scores = (await scoreRecords(s.records, detector)).scores.flat();
      const flagged = scores.filter((x) => x >= detector.defaultThreshold).length;
      out.push({ name: s.name, documents: s.records.length, sentences: scores.length, flagged, fpr: flagged / scores.length, ci: wilson(flagged, scores.length) });
    }
    return out;
  } finally {
    await detector.dispose();
  }
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function cached<T>(file: string, make: () => Promise<T>): Promise<T> {
  if (existsSync(file)) return readJson<T>(file);
  const value = await make();
  await writeTextAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
  return value;
}

export async function runTrain(o: TrainOptions): Promise<void> {
  const py = findPython(o.python);
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  // 1. the dataset
  if (!existsSync(join(o.data, 'train.jsonl'))) {
    log(`[dataset] building ${o.data} from ${o.corpus}`);
    await runBuild({ corpus: o.corpus, out: o.data, seed: 13 });
  }
  // 2. the vocabulary, 3. training and export
  const vocab = join(o.run, 'vocab');
  if (!existsSync(join(vocab, 'tokenizer.json'))) {
    await python(py, 'vocabulary', ['vocab', '--data', o.data, '--out', vocab, '--size', o.size], o.threads);
  }
  const modelDir = join(o.run, 'model');
  const common = ['--size', o.size, '--data', o.data, '--vocab', vocab, '--threads', String(o.threads), '--device', o.device];
  if (!existsSync(join(modelDir, 'config.json'))) {
    await python(py, 'training', ['fit', ...common, '--run', o.run, '--version', o.version, ...(o.steps ? ['--steps', String(o.steps)] : [])], o.threads);
  }
  // 4. calibration through the runtime
  const config = await readJson<{ ptd: { calibration?: { fitted_on?: string | null } } }>(join(modelDir, 'config.json'));
  if (!config.ptd.calibration?.fitted_on) {
    await runCalibrate({
      model: modelDir,
      data: join(o.data, 'validation.jsonl'),
      targets: [0.01, 0.05],
      by: 'source',
      maxRatio: 1.5,
      minNegatives: 300,
      dtype: 'q8',
    });
  }
  // 5. evaluation
  const by = ['construction', 'source', 'paraphraser'];
  const evals: Record<string, EvalResult> = {};
  evals.test = await cached(join(o.run, 'eval-test.json'), () => evaluateSplit(modelDir, join(o.data, 'test.jsonl'), by, o.bootstrap));
  evals.validation = await cached(join(o.run, 'eval-validation.json'), () => evaluateSplit(modelDir, join(o.data, 'validation.jsonl'), by, 0));
  const generated = join(o.data, generatedFile('test'));
  if (existsSync(generated)) {
    evals['test, LLM-written texts'] = await cached(join(o.run, 'eval-test-generated.json'), () => evaluateSplit(modelDir, generated, ['source'], 0));
  }
  // human writing that users ask about: text from before LLMs existed, and non-native writers' essays
  const fairness = await cached(join(o.run, 'eval-human.json'), () => humanFalsePositives(modelDir, o.data));
  // 6. families held out
  let crossfamily: CrossFamily | undefined;
  if (o.families !== '') {
    const out = join(o.run, 'crossfamily.json');
    if (!existsSync(out)) {
      await python(
        py,
        'held-out families',
        ['crossfamily', ...common, '--work', join(o.run, 'crossfamily'), '--out', out,
          ...(o.crossfamilySteps ? ['--steps', String(o.crossfamilySteps)] : []), ...(o.families ? ['--families', o.families] : [])],
        o.threads,
      );
    }
    crossfamily = await readJson<CrossFamily>(out);
  }
  // 7. the card
  const files: Record<string, number> = {};
  for (const f of ['onnx/model_quantized.onnx', 'onnx/model.onnx']) files[f] = (await stat(join(modelDir, f))).size;
  const card = renderCard({
    config: await readJson(join(modelDir, 'config.json')),
    evals,
    fairness,
    crossfamily,
    files,
    commands: [
      `npm run train -- --size ${o.size} --corpus ${rel(o.corpus)} --run ${rel(o.run)}` + (o.steps ? ` --steps ${o.steps}` : '') +
        (o.crossfamilySteps ? ` --crossfamily-steps ${o.crossfamilySteps}` : ''),
      `node bin/ptd.js eval --model ${rel(modelDir)} --data ${rel(join(o.data, 'test.jsonl'))} --by ${by.join(',')} --bootstrap ${o.bootstrap}`,
    ],
  });
  await writeTextAtomic(join(o.run, 'MODEL_CARD.md'), card);
  log(`wrote ${join(o.run, 'MODEL_CARD.md')}; promote with: node bin/ptd.js promote --run ${rel(o.run)} --to model/weights/ptd-${o.size}`);
}

function count(name: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseNumber(name, value, isCount);
}

export function register(program: Command): void {
  program
    .command('train')
    .description('Train a model from the corpus to its model card (resumes an interrupted run); see docs/models.md.')
    .option('--size <size>', 'tiny, small or base (model/train/sizes.py)', 'small')
    .option('--corpus <dir>', 'the training corpus (see ../shared/data/README.md for what it holds)', '../shared/data/ptd-corpus')
    .option('--data <dir>', 'the dataset built from it (built first when missing)', 'build/dataset')
    .option('--run <dir>', 'where the run writes (default runs/ptd-SIZE)')
    .option('--model-version <v>', 'the model version written in config.json', '0.0.0-dev')
    .option('--steps <n>', "optimizer steps (default: the size's)")
    .option('--crossfamily-steps <n>', 'steps of each held-out-family model (default: as --steps)')
    .option('--families <list>', 'held-out families, comma-separated ("" to skip that stage; default: all)')
    .option('--bootstrap <n>', 'bootstrap replicates for the test intervals', '1000')
    .option('--python <path>', 'a python3 with torch and onnx (default: $PTD_PYTHON, /usr/bin/python3, python3)')
    .option('--threads <n>', 'CPU threads for PyTorch', '2')
    .option('--device <d>', 'cpu or cuda', 'cpu')
    .action(async (opts: Record<string, string | undefined>) => {
      if (!['tiny', 'small', 'base'].includes(opts.size!)) throw new UsageError(`--size must be tiny, small or base, got "${opts.size}"`);
      await runTrain({
        size: opts.size!,
        corpus: opts.corpus!,
        data: opts.data!,
        run: opts.run ?? join('runs', `ptd-${opts.size}`),
        version: opts.modelVersion!,
        steps: count('--steps', opts.steps),
        crossfamilySteps: count('--crossfamily-steps', opts.crossfamilySteps),
        families: opts.families,
        bootstrap: count('--bootstrap', opts.bootstrap) ?? 0,
        python: opts.python,
        threads: count('--threads', opts.threads) ?? 2,
        device: opts.device!,
      });
    });
}
