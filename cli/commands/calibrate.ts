// `ptd calibrate`: fit a model directory's temperature and thresholds from its own runtime scores on a split
// (parse → score → fit → write config.json). The one calibration path: the windows, merging and threshold rules
// are the runtime's and dataset/metrics.ts's, never a re-implementation.
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CliError, UsageError } from '../errors.ts';
import { isPositive, isPositiveInteger, parseNumber } from '../options.ts';
import type { Dtype } from '../../model/types.ts';
import { fitTemperature, robustThresholds, type RobustThreshold } from '../../dataset/calibrate.ts';
import { readPasted, RecordError, writeTextAtomic, type ParsedRecord } from '../../dataset/records.ts';
import { loadModel, scoreRecords } from '../score-records.ts';

export interface CalibrateOptions {
  model: string;
  data: string;
  targets: number[];
  /** Record field whose groups must each keep FPR within maxRatio × target. */
  by: string;
  maxRatio: number;
  minNegatives: number;
  dtype: Dtype;
  batchSize?: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

type Config = { ptd: Record<string, unknown> } & Record<string, unknown>;

async function readConfig(dir: string): Promise<Config> {
  const file = join(dir, 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  if (!config || typeof config !== 'object' || !('ptd' in config)) throw new CliError(`${file}: not a ptd model (no "ptd" section)`);
  return config as Config;
}

const writeConfig = (dir: string, config: Config) => writeTextAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);

function flat(records: ParsedRecord[], scores: number[][], field: string): { s: number[]; t: number[]; g: string[] } {
  const s: number[] = [];
  const t: number[] = [];
  const g: string[] = [];
  records.forEach((r, k) => {
    const group = r.fields[field] === undefined || r.fields[field] === null ? '(none)' : String(r.fields[field]);
    r.truth.forEach((truth, i) => {
      if (Number.isNaN(scores[k]![i]!)) return;
      s.push(scores[k]![i]!);
      t.push(truth);
      g.push(group);
    });
  });
  return { s, t, g };
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

function thresholdEntry(t: RobustThreshold) {
  return {
    target_fpr: t.targetFpr,
    threshold: t.threshold,
    achieved_fpr: r6(t.achievedFpr),
    tpr: r6(t.tpr),
    bound_by: t.boundBy,
    groups: Object.fromEntries(
      Object.entries(t.groups).map(([g, v]) => [g, { negatives: v.negatives, fpr: r6(v.fpr), recall: v.recall === null ? null : r6(v.recall) }]),
    ),
  };
}

export async function runCalibrate(options: CalibrateOptions): Promise<void> {
  let records: ParsedRecord[];
  try {
    records = (await readPasted(options.data)).records;
  } catch (err) {
    if (err instanceof RecordError) throw new CliError(err.message);
    throw err;
  }
  if (!records.some((r) => r.fields[options.by] !== undefined)) throw new UsageError(`--by ${options.by}: no record of ${options.data} has that field`);
  const dataSha = createHash('sha256').update(await readFile(options.data)).digest('hex');
  const config = await readConfig(options.model);
  const calibration = (config.ptd.calibration ?? {}) as { temperature?: number };
  const before = calibration.temperature ?? 1;

  // 1. the temperature, from the scores at the current one
  let detector = await loadModel(options.model, { dtype: options.dtype });
  let scored: number[][];
  try {
    // sentences the model cannot read are left out of the fit (NaN), not counted as a score of 0
    scored = (await scoreRecords(records, detector, { batchSize: options.batchSize, unscoredAs: Number.NaN })).scores;
  } finally {
    await detector.dispose();
  }
  let { s, t } = flat(records, scored, options.by);
  const temperature = fitTemperature(s, t, before);
  log(`temperature ${before} → ${temperature.toFixed(4)}`);
  config.ptd.calibration = { temperature: r6(temperature), fitted_on: basename(options.data), data_sha256: dataSha, dtype: options.dtype };
  await writeConfig(options.model, config);

  // 2. the thresholds, from the runtime's scores at that temperature
  detector = await loadModel(options.model, { dtype: options.dtype });
  try {
    // sentences the model cannot read are left out of the fit (NaN), not counted as a score of 0
    scored = (await scoreRecords(records, detector, { batchSize: options.batchSize, unscoredAs: Number.NaN })).scores;
  } finally {
    await detector.dispose();
  }
  const flatScores = flat(records, scored, options.by);
  ({ s, t } = flatScores);
  const fitted = robustThresholds(s, t, flatScores.g, options.targets, { maxRatio: options.maxRatio, minNegatives: options.minNegatives });
  config.ptd.thresholds = fitted.map(thresholdEntry);
  config.ptd.threshold_rule = {
    pooled_fpr: 'at most the target',
    group_field: options.by,
    group_max_ratio: options.maxRatio,
    group_min_negatives: options.minNegatives,
  };
  await writeConfig(options.model, config);
  for (const f of fitted) {
    const worst = Object.entries(f.groups)
      .filter(([, v]) => v.negatives >= options.minNegatives)
      .sort((a, b) => b[1].fpr - a[1].fpr)[0];
    log(
      `target FPR ${f.targetFpr}: threshold ${f.threshold.toFixed(4)} (bound by ${f.boundBy}); pooled FPR ${(100 * f.achievedFpr).toFixed(2)}%, ` +
        `TPR ${(100 * f.tpr).toFixed(1)}%` +
        (worst ? `; highest ${options.by} FPR ${(100 * worst[1].fpr).toFixed(2)}% (${worst[0]})` : ''),
    );
  }
  log(`wrote ${join(options.model, 'config.json')}`);
}

function parseTargets(value: string): number[] {
  const targets = value.split(',').map((v) => Number(v.trim()));
  if (!targets.length || targets.some((x) => !(x > 0 && x < 1))) throw new UsageError(`--targets: FPRs between 0 and 1 separated by commas, got "${value}"`);
  return [...new Set(targets)].sort((a, b) => a - b);
}

export function register(program: Command): void {
  program
    .command('calibrate')
    .description("Fit a model directory's temperature and thresholds from its runtime scores on a split (writes its config.json).")
    .requiredOption('--model <dir>', 'model directory (config.json, tokenizer, onnx/)')
    .requiredOption('--data <file>', 'PASTED-format records to fit on (the validation split)')
    .option('--targets <fprs>', 'target false-positive rates', '0.01,0.05')
    .option('--by <field>', 'record field whose groups must each keep FPR within --max-ratio × target', 'source')
    .option('--max-ratio <x>', "a group's FPR may reach this multiple of the target", '1.5')
    .option('--min-negatives <n>', 'groups with fewer human sentences do not bind the threshold', '300')
    .option('--dtype <dtype>', 'the weights the faces load: q8 or fp32', 'q8')
    .option('--batch-size <n>', 'documents per batch', '16')
    .action(async (opts: Record<string, string>) => {
      if (opts.dtype !== 'q8' && opts.dtype !== 'fp32') throw new UsageError('--dtype must be q8 or fp32');
      await runCalibrate({
        model: opts.model!,
        data: opts.data!,
        targets: parseTargets(opts.targets!),
        by: opts.by!,
        maxRatio: parseNumber('--max-ratio', opts.maxRatio!, isPositive),
        minNegatives: parseNumber('--min-negatives', opts.minNegatives!, isPositiveInteger),
        dtype: opts.dtype,
        batchSize: parseNumber('--batch-size', opts.batchSize!, isPositiveInteger),
      });
    });
}
