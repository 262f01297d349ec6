// `ptd eval`: evaluate any detector on PASTED-format data, sentence level (parse → score → metrics → write).
//   --predictions FILE  scores from any detector, JSON lines {"id", "scores": [...]}
//   --model NAME|DIR    ptd's own detector over the records' sentences as given (never re-split)
// Both can be repeated: several detectors are compared on the same records (compare.ts), the first as reference.
import type { Command } from 'commander';
import { CliError, UsageError } from '../errors.ts';
import { isCount, isPositiveInteger, parseNumber } from '../options.ts';
import type { Device, Dtype } from '../../model/types.ts';
import { compareScorers } from '../../dataset/compare.ts';
import { evaluate, notScoredNote, sentenceScores, type EvalResult, type NotScored } from '../../dataset/evaluate.ts';
import { JoinError, joinPredictions, readPredictions } from '../../dataset/predictions.ts';
import { loadModel, scoreRecords, type ModelOutput } from '../score-records.ts';
import { readPasted, RecordError, writeJsonLines, writeTextAtomic, type ParsedRecord } from '../../dataset/records.ts';
import { renderComparisonReport, renderComparisonTable, renderReport, renderTable } from '../../dataset/report.ts';

export interface EvalCommandOptions {
  data: string;
  /** Prediction files, in the order given (detectors are compared with the first scorer). */
  predictions?: string[];
  /** Models to run; they come after the prediction files. */
  models?: string[];
  by?: string[];
  json?: boolean;
  report?: string;
  threshold?: number;
  skipInvalid?: boolean;
  device?: Device;
  dtype?: Dtype;
  batchSize?: number;
  /** Bootstrap replicates for confidence intervals (0: none). */
  bootstrap?: number;
  seed?: number;
  /** With one --model: write its scores as a predictions file (JSON lines {"id"?, "scores"}) to reuse later. */
  writePredictions?: string;
  /** Which output of a --model to evaluate: the paraphrase score (default) or the predicted degree of lexical change. */
  modelOutput?: ModelOutput;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs ptd's detector over the records' sentences (score-model.ts). */
async function scoreWithModel(
  records: ParsedRecord[],
  model: string,
  options: EvalCommandOptions,
): Promise<Scored> {
  const output = options.modelOutput ?? 'score';
  const detector = await loadModel(model, options);
  try {
    const { scores, notScored } = await scoreRecords(records, detector, { batchSize: options.batchSize, output });
    const name = `${detector.info.name} ${detector.info.version}`;
    const skipped = notScored.sentences > 0 ? { notScored } : {};
    if (notScored.sentences > 0) log(`${name}: ${notScoredNote(notScored, records.reduce((n, r) => n + r.sentences.length, 0))}`);
    // The model's threshold is for its paraphrase score; a degree threshold is fitted on the data (1% FPR).
    return output === 'degree'
      ? { scores, name: `${name} (degree)`, ...skipped }
      : { scores, threshold: detector.defaultThreshold, name, ...skipped };
  } finally {
    await detector.dispose();
  }
}

interface Scored {
  name: string;
  scores: number[][];
  /** The model's default threshold (models only). */
  threshold?: number;
  /** Sentences the model left unscored (models only, when there were any). */
  notScored?: NotScored;
}

/** Prediction files first, then models, each in the order given; names are made unique. */
async function scoreAll(records: ParsedRecord[], options: EvalCommandOptions): Promise<Scored[]> {
  const out: Scored[] = [];
  for (const file of options.predictions ?? []) out.push({ name: file, scores: joinPredictions(records, await readPredictions(file)) });
  for (const model of options.models ?? []) out.push(await scoreWithModel(records, model, options));
  const seen = new Map<string, number>();
  for (const s of out) {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    if (n > 1) s.name = `${s.name} (${n})`;
  }
  return out;
}

export async function runEval(options: EvalCommandOptions): Promise<void> {
  const count = (options.predictions?.length ?? 0) + (options.models?.length ?? 0);
  if (count === 0) throw new UsageError('give --predictions FILE or --model NAME_OR_DIR (either can be repeated to compare detectors)');
  if (options.writePredictions && options.models?.length !== 1) {
    throw new UsageError('--write-predictions needs exactly one --model (the detector whose scores to save)');
  }
  let records: ParsedRecord[];
  try {
    const read = await readPasted(options.data, { skipInvalid: options.skipInvalid });
    records = read.records;
    if (read.skipped.length) {
      const first = read.skipped[0]!;
      log(`skipped ${read.skipped.length} invalid record(s) in ${options.data} (first: ${first.unit} ${first.line}: ${first.reason})`);
    }
    if (records.length === 0) throw new CliError(`${options.data}: no records to evaluate`);
    for (const field of options.by ?? []) {
      if (!records.some((r) => r.fields[field] !== undefined)) {
        const seen = [...new Set(records.flatMap((r) => Object.keys(r.fields)))].filter((k) => k !== 'text' && k !== 'label');
        throw new UsageError(`--by ${field}: no record has a "${field}" field (fields: ${seen.join(', ') || 'none'})`);
      }
    }
    const scored = await scoreAll(records, options);
    if (options.writePredictions) {
      // The model's scores in the --predictions format, in record order (ids where the records have them).
      const model = scored[scored.length - 1]!;
      const rows = records.map((r, k) => (r.id !== undefined ? { id: r.id, scores: model.scores[k] } : { scores: model.scores[k] }));
      await writeJsonLines(options.writePredictions, rows);
      log(`wrote ${records.length} predictions of ${model.name} to ${options.writePredictions}`);
    }
    const bootstrap = options.bootstrap ? { replicates: options.bootstrap, seed: options.seed ?? 13 } : undefined;
    if (bootstrap) log(`bootstrap: ${bootstrap.replicates} replicates over ${records.length} documents (seed ${bootstrap.seed})`);
    const results: EvalResult[] = scored.map((s) => {
      const given = options.threshold !== undefined;
      const threshold = options.threshold ?? s.threshold;
      const thresholdSource = given ? 'given' : s.threshold !== undefined ? "the model's default threshold" : undefined;
      const result = evaluate(records, s.scores, { by: options.by, threshold, thresholdSource, bootstrap });
      return s.notScored ? { ...result, not_scored: s.notScored } : result;
    });
    if (scored.length === 1) {
      const [result] = results as [EvalResult];
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${renderTable(result)}\n`);
      if (options.report) {
        await writeTextAtomic(options.report, renderReport(result, sentenceScores(records, scored[0]!.scores), { data: options.data, scorer: scored[0]!.name }));
        log(`wrote ${options.report}`);
      }
      return;
    }
    const reference = scored[0]!;
    const comparisons = scored.slice(1).map((s) => compareScorers(records, reference, s, options.by, bootstrap));
    const named = scored.map((s, k) => ({ name: s.name, result: results[k]! }));
    if (options.json) process.stdout.write(`${JSON.stringify({ reference: reference.name, scorers: named, comparisons }, null, 2)}\n`);
    else process.stdout.write(`${renderComparisonTable(named, comparisons)}\n`);
    if (options.report) {
      const withRoc = named.map((n, k) => ({ ...n, roc: sentenceScores(records, scored[k]!.scores).roc }));
      await writeTextAtomic(options.report, renderComparisonReport(withRoc, comparisons, { data: options.data }));
      log(`wrote ${options.report}`);
    }
  } catch (err) {
    if (err instanceof RecordError || err instanceof JoinError) throw new CliError(err.message);
    throw err;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('Evaluate a detector on PASTED-format data: AUROC, TPR at 1%/5% FPR, Pearson r, F1, per group.')
    .requiredOption('--data <file>', 'PASTED-format records (JSON array or JSON lines)')
    .option('--predictions <file>', 'JSON lines {"id", "scores": [one per sentence]} from any detector (repeat to compare)', collect, [])
    .option('--model <name|dir>', "run ptd's detector: small, or a model directory (repeat to compare)", collect, [])
    .option('--by <fields>', 'group by record fields, comma-separated (e.g. paraphraser,domain)')
    .option('--json', 'print one JSON object instead of the table')
    .option('--report <file>', 'write a self-contained HTML report (ROC curve, histograms, groups)')
    .option('--threshold <x>', 'score threshold for precision/recall/F1 (default: the model\'s, or fitted at 1% FPR)')
    .option('--bootstrap <n>', '95% confidence intervals from n bootstrap replicates over documents (e.g. 1000)', '0')
    .option('--seed <n>', 'with --bootstrap: the resampling seed', '13')
    .option('--write-predictions <file>', "with one --model: save its scores as a predictions file, to evaluate or compare later without re-scoring")
    .option('--skip-invalid', 'skip and count invalid records instead of stopping')
    .option('--device <device>', 'with --model: auto, cpu, cuda, wasm, webgpu', 'auto')
    .option('--dtype <dtype>', 'with --model: q8 or fp32', 'q8')
    .option('--batch-size <n>', 'with --model: documents per batch', '16')
    .option('--model-output <output>', "with --model: score (the paraphrase probability) or degree (the predicted lexical change, PASTED's regression output)", 'score')
    .action(async (opts: Record<string, string | string[] | boolean | undefined>) => {
      const devices = ['auto', 'cpu', 'cuda', 'wasm', 'webgpu'];
      if (!devices.includes(String(opts.device))) throw new UsageError(`--device must be one of ${devices.join(', ')}`);
      if (opts.dtype !== 'q8' && opts.dtype !== 'fp32') throw new UsageError('--dtype must be q8 or fp32');
      if (opts.modelOutput !== 'score' && opts.modelOutput !== 'degree') throw new UsageError('--model-output must be score or degree');
      await runEval({
        data: opts.data as string,
        predictions: opts.predictions as string[],
        models: opts.model as string[],
        by: typeof opts.by === 'string' ? opts.by.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        json: Boolean(opts.json),
        report: opts.report as string | undefined,
        threshold: typeof opts.threshold === 'string' ? parseNumber('--threshold', opts.threshold, () => true) : undefined,
        skipInvalid: Boolean(opts.skipInvalid),
        device: opts.device as Device,
        dtype: opts.dtype as Dtype,
        batchSize: parseNumber('--batch-size', String(opts.batchSize), isPositiveInteger),
        writePredictions: opts.writePredictions as string | undefined,
        bootstrap: parseNumber('--bootstrap', String(opts.bootstrap), (n) => Number.isInteger(n) && n >= 0 && n <= 100_000),
        seed: parseNumber('--seed', String(opts.seed), isCount),
        modelOutput: opts.modelOutput,
      });
    });
}
