// `ptd score [FILE...]`: score documents sentence by sentence (read → load → scoreMany → write).
// Data goes to stdout (pretty text, JSON or JSON lines); logs, warnings and progress go to stderr.
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import { CliError, UsageError } from '../errors.ts';
import { thresholdFor } from '../../model/config.ts';
import { evidenceLine, scoreBand } from '../../ui/palette.ts';
import { skipReasonText } from '../../model/readable.ts';
import type { DetectionResult, Detector, Device, Dtype, SkipReason } from '../../model/types.ts';
import type { Readable } from 'node:stream';
import { DEFAULT_MAX_CHARS } from '../../model/limits.ts';
import { INPUT_FORMATS, type InputFormat } from '../../readers/formats.ts';
import { planInputs, readDocuments, type InputDocument, type InputPlan } from '../inputs.ts';

export type OutputFormat = 'pretty' | 'json' | 'jsonl';

export interface ScoreCommandOptions {
  model: string;
  device: Device;
  dtype: Dtype;
  format: OutputFormat;
  threshold?: number;
  /** Use the model's threshold fitted for this false-positive rate (the closest one it has). */
  targetFpr?: number;
  inputFormat?: InputFormat;
  allowRemote?: boolean;
  /** Documents per scoreMany call (output is written after each). */
  batchSize?: number;
  /** Find the words that drove each flagged sentence's score (on unless --no-evidence). */
  evidence?: boolean;
  /** Characters of one document at most (default: PTD_MAX_CHARS, else the API's 50,000). */
  maxChars?: number;
  /** Show progress on stderr: true always (a line a second when stderr is not a terminal), false never; default: on a terminal, for long inputs. */
  progress?: boolean;
}

export interface ScoreIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: () => Readable;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  colors: boolean;
}

const DEVICES: Device[] = ['auto', 'webgpu', 'wasm', 'cpu', 'cuda'];

function defaultIO(): ScoreIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stdin: () => process.stdin,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    colors: pc.isColorSupported,
  };
}

export function parseTargetFpr(value: string): number {
  const t = Number(value.trim().endsWith('%') ? Number(value.trim().slice(0, -1)) / 100 : value);
  if (!value.trim() || !Number.isFinite(t) || t <= 0 || t >= 1) {
    throw new UsageError(`--target-fpr must be a rate between 0 and 1 (e.g. 0.05 or 5%), got "${value}"`);
  }
  return t;
}

export function parseMaxChars(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--max-chars must be a positive whole number of characters, got "${value}"`);
  }
  return n;
}

/** The document limit: --max-chars, else PTD_MAX_CHARS (as `ptd serve` reads it), else the API's default. */
export function maxCharsFrom(flag: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (flag !== undefined) return flag;
  const raw = env.PTD_MAX_CHARS?.trim();
  if (!raw) return DEFAULT_MAX_CHARS;
  try {
    return parseMaxChars(raw);
  } catch {
    throw new UsageError(`PTD_MAX_CHARS must be a positive whole number of characters, got "${raw}"`);
  }
}

export function parseThreshold(value: string): number {
  const t = Number(value);
  if (!value.trim() || !Number.isFinite(t) || t < 0 || t > 1) {
    throw new UsageError(`--threshold must be a probability between 0 and 1, got "${value}"`);
  }
  return t;
}

async function load(options: ScoreCommandOptions): Promise<Detector> {
  const { loadNodeDetector, ModelNotInstalledError, UnknownModelError } = await import('../../model/node.ts');
  try {
    return await loadNodeDetector({
      model: options.model,
      device: options.device,
      dtype: options.dtype,
      allowRemote: options.allowRemote,
    });
  } catch (err) {
    if (err instanceof ModelNotInstalledError) throw new CliError(err.message);
    if (err instanceof UnknownModelError) throw new UsageError(err.message);
    throw new CliError((err as Error).message);
  }
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function thresholdNote(detector: Detector, threshold: number): string {
  const fitted = detector.thresholds.find((t) => t.threshold === threshold);
  return fitted ? `${pct(fitted.targetFpr)} FPR` : 'custom';
}

/** One line: counts, document score, threshold, model and reliability. */
export function summaryLine(result: DetectionResult, detector: Detector, source?: string): string {
  const flagged = result.sentences.filter((s) => s.label === 'paraphrased').length;
  const n = result.sentences.length;
  const parts = [
    `${n} sentence${n === 1 ? '' : 's'}`,
    `${flagged} flagged (${pct(result.paraphrasedFraction)})${result.spans.length ? ` in ${result.spans.length} span${result.spans.length === 1 ? '' : 's'}` : ''}`,
    `document score ${result.score.toFixed(2)}`,
    `threshold ${result.threshold.toFixed(2)} (${thresholdNote(detector, result.threshold)})`,
    `${result.model.name} ${result.model.version} ${result.model.dtype} on ${result.model.device}`,
  ];
  if (result.coverage.skipped) parts.push(skippedNote(result));
  if (result.coverage.truncated) parts.push(`${result.coverage.truncated} sentence(s) too long, cut before scoring`);
  if (!result.reliable) parts.push(`not reliable: ${skipReasonText(result.reason ?? 'too-short')}`);
  return `${source ? `${source}: ` : ''}${parts.join(' · ')}`;
}

/** `3 not checked (2 not English, 1 no words to read)`. */
export function skippedNote(result: DetectionResult): string {
  const by = new Map<SkipReason, number>();
  for (const s of result.sentences) if (s.skipped) by.set(s.skipped, (by.get(s.skipped) ?? 0) + 1);
  const reasons = [...by].map(([why, n]) => `${n} ${skipReasonText(why).replace(/ — not checked$/u, '')}`);
  return `${result.coverage.skipped} not checked (${reasons.join(', ')})`;
}

/** One line per flagged sentence with evidence: its number, score and the words that drove it. */
export function renderEvidence(result: DetectionResult): string[] {
  return result.sentences.flatMap((s) =>
    s.score !== null && s.label === 'paraphrased' && s.evidence?.length ? [`  sentence ${s.index + 1} [${s.score.toFixed(2)}]: ${evidenceLine(s.evidence)}`] : [],
  );
}

/** The document's text with flagged sentences highlighted (colour by score) and their scores shown. */
export function renderPretty(result: DetectionResult, text: string, colors: boolean): string {
  const c = pc.createColors(colors);
  let out = '';
  let pos = 0;
  for (const s of result.sentences) {
    out += text.slice(pos, s.start);
    if (s.score === null) {
      // not read by the model: shown dim, and counted in the summary line with the reason
      out += colors ? c.dim(s.text) : s.text;
      pos = s.end;
      continue;
    }
    const band = scoreBand(s.score, result.threshold);
    const score = s.score.toFixed(2);
    if (band === 'flagged') {
      const strong = s.score >= result.threshold + (1 - result.threshold) / 2;
      out += colors
        ? `${strong ? c.bgRed(c.white(s.text)) : c.bgYellow(c.black(s.text))} ${c.dim(`[${score}]`)}`
        : `>>${s.text}<< [${score}]`;
    } else if (band === 'borderline') {
      out += colors ? `${c.yellow(s.text)} ${c.dim(`[${score}]`)}` : s.text;
    } else {
      out += s.text;
    }
    pos = s.end;
  }
  out += text.slice(pos);
  return out.replace(/\s+$/, '');
}

type Output = DetectionResult & { source: string; id?: string | number };

function withSource(doc: InputDocument, result: DetectionResult): Output {
  return { source: doc.source, ...(doc.id !== undefined ? { id: doc.id } : {}), ...result };
}

/** JSON output as it comes: one result is printed as an object, several as an array, written one by one. */
function jsonWriter(write: (text: string) => void) {
  let first: string | undefined;
  let count = 0;
  const indent = (json: string) => json.replace(/^/gm, '  ');
  return {
    add(value: unknown) {
      const json = JSON.stringify(value, null, 2);
      count++;
      if (count === 1) first = json;
      else if (count === 2) write(`[\n${indent(first!)},\n${indent(json)}`);
      else write(`,\n${indent(json)}`);
    },
    end() {
      if (count === 1) write(`${first}\n`);
      else if (count > 1) write('\n]\n');
    },
  };
}

/** The progress bar on stderr (cli-progress): documents scored of all, or so far when the total is not known. */
async function progressBar(plan: InputPlan, options: ScoreCommandOptions, io: ScoreIO, batchSize: number) {
  const long = (plan.documents ?? Infinity) > batchSize || plan.jsonlBytes > 1024 * 1024;
  if (!(options.progress ?? (io.stderrIsTTY && long))) return undefined;
  const { SingleBar, Presets } = await import('cli-progress');
  const known = plan.documents !== undefined;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      clearOnComplete: io.stderrIsTTY,
      // Not a terminal (a log, CI): a line a second instead of a redrawn bar.
      noTTYOutput: true,
      notTTYSchedule: 1000,
      format: known ? 'ptd score [{bar}] {percentage}% | {value}/{total} documents | ETA {eta_formatted}' : 'ptd score: {value} documents scored',
    },
    Presets.shades_classic,
  );
  bar.start(plan.documents ?? 0, 0);
  return bar;
}

export async function runScore(files: string[], options: ScoreCommandOptions, io: ScoreIO = defaultIO()): Promise<void> {
  if (files.length === 0 && io.stdinIsTTY) {
    throw new UsageError('no input: give one or more files, or pipe text to stdin');
  }
  if (options.threshold !== undefined && options.targetFpr !== undefined) {
    throw new UsageError('give either --threshold or --target-fpr, not both');
  }
  const limits = { maxChars: maxCharsFrom(options.maxChars) };
  // Every input checked (sizes, lines, lengths) before the model loads: bad input fails in seconds.
  const plan = await planInputs(files, limits, io.stdin, options.inputFormat);
  const detector = await load(options);
  try {
    let threshold = options.threshold;
    if (options.targetFpr !== undefined) {
      const fitted = thresholdFor(detector.thresholds, options.targetFpr);
      if (fitted.targetFpr !== options.targetFpr) {
        io.stderr(`ptd: the model has no threshold for ${pct(options.targetFpr)} FPR; using the one for ${pct(fitted.targetFpr)}\n`);
      }
      threshold = fitted.threshold;
    }
    if (options.device !== 'auto') {
      for (const f of detector.info.fallbacks) {
        io.stderr(`ptd: ${f.device} is not available (${f.reason}); running on ${detector.info.device}\n`);
      }
    }
    const batchSize = options.batchSize ?? 32;
    const many =
      plan.documents !== undefined ? plan.documents > 1 : plan.sources.length > 1 || plan.sources.some((s) => s.format === 'jsonl');
    const bar = await progressBar(plan, options, io, batchSize);
    const json = jsonWriter(io.stdout);
    let written = 0;
    const score = async (batch: InputDocument[]) => {
      if (batch.length === 0) return;
      const results = await detector.scoreMany(
        batch.map((d) => ({ text: d.text })),
        { ...(threshold !== undefined ? { threshold } : {}), evidence: options.evidence !== false },
      );
      results.forEach((result, k) => {
        const doc = batch[k]!;
        if (options.format === 'jsonl') io.stdout(`${JSON.stringify(withSource(doc, result))}\n`);
        else if (options.format === 'json') json.add(withSource(doc, result));
        else {
          const header = many ? `${io.colors ? pc.bold(`==> ${doc.source} <==`) : `==> ${doc.source} <==`}\n` : '';
          const summary = summaryLine(result, detector, many ? doc.source : undefined);
          const why = renderEvidence(result);
          io.stdout(
            `${written + k > 0 ? '\n' : ''}${header}${renderPretty(result, doc.text, io.colors)}\n\n${io.colors ? pc.bold(summary) : summary}\n` +
              (why.length ? `${why.join('\n')}\n` : ''),
          );
        }
      });
      written += batch.length;
      bar?.update(written);
    };
    try {
      let batch: InputDocument[] = [];
      for await (const doc of readDocuments(plan, limits, io.stdin)) {
        batch.push(doc);
        if (batch.length >= batchSize) {
          await score(batch);
          batch = [];
        }
      }
      await score(batch);
    } finally {
      bar?.stop();
    }
    if (options.format === 'json') json.end();
  } finally {
    await detector.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('score')
    .description('score documents sentence by sentence: which sentences did an LLM paraphrase or polish?')
    .argument('[file...]', 'files to score: .txt, .md, .html (visible text), .docx (body text) or .jsonl (a "text" field per line, streamed); stdin when none or "-"')
    .option('-m, --model <model>', 'small, a model directory, or a hub id (with --allow-remote)', 'small')
    .addOption(new Option('-d, --device <device>', 'where the model runs; auto picks the fastest that works').choices(DEVICES).default('auto'))
    .addOption(new Option('--dtype <dtype>', 'model weights: q8 (int8, faster) or fp32').choices(['fp32', 'q8']).default('q8'))
    .addOption(new Option('-f, --format <format>', 'output: pretty (highlighted text + summary), json or jsonl').choices(['pretty', 'json', 'jsonl']).default('pretty'))
    .option('-t, --threshold <p>', "label threshold on the score (default: the model's, fitted for 1% false positives)", parseThreshold)
    .option('--target-fpr <rate>', "use the model's threshold fitted for this false-positive rate (e.g. 0.05 or 5%)", parseTargetFpr)
    .addOption(new Option('--input-format <format>', 'read every input as this format, whatever its extension').choices(INPUT_FORMATS))
    .option('--no-evidence', 'do not look for the words that drove each flagged sentence (faster on many documents)')
    .option('--allow-remote', 'allow downloading a model from the Hugging Face hub')
    .option(
      '--max-chars <n>',
      `characters of one document at most (default: PTD_MAX_CHARS, else ${DEFAULT_MAX_CHARS}, as the API); larger inputs are refused before reading them whole`,
      parseMaxChars,
    )
    .option('--progress', 'show progress on stderr (a line a second when stderr is not a terminal); default: on a terminal, for long inputs')
    .option('--no-progress', 'never show progress')
    .action(async (files: string[], opts: ScoreCommandOptions) => {
      await runScore(files, opts);
    });
}
