// `ptd dataset build`: corpus → train/validation/test.jsonl + stats.json (parse → call → write).
import type { Command } from 'commander';
import pc from 'picocolors';
import { join } from 'node:path';
import { CliError, UsageError } from '../errors.ts';
import { buildDataset, corpusRows, type BuildResult } from '../../dataset/build.ts';
import { corpusSha256, readCorpus, type Corpus, type CorpusFile } from '../../dataset/corpus.ts';
import { progressBar, type Progress } from '../../dataset/progress.ts';
import { writeJson, writeJsonLines } from '../../dataset/records.ts';
import { DEFAULT_SEED, SPLITS, type Split } from '../../dataset/split.ts';
import { computeStats, type DatasetStats } from '../../dataset/stats.ts';
import { annotateSyntactic, type SyntaxCoverage } from '../../dataset/syntax/annotate.ts';
import { LinkParserMissing, parseSentences } from '../../dataset/syntax/link-parser.ts';

/** Trees parsed for the syntactic column, kept next to the splits (a rerun reads them instead of parsing). */
export const SYNTAX_CACHE = 'syntax-cache.jsonl';

export interface BuildCommandOptions {
  corpus: string;
  /** Only these corpus files (names in --corpus, or paths); every corpus file of the directory by default. */
  files?: string[];
  out: string;
  seed: number;
  /** Splits that get the syntactic-change column (link-parser; none by default). */
  syntactic?: Split[];
  /** Parser processes side by side for it. */
  workers?: number;
}

/** Parses each needed sentence with link-parser (cached in the output directory, so a rerun resumes). */
async function addSyntactic(options: BuildCommandOptions, splits: Split[], result: BuildResult, log: (line: string) => void): Promise<void> {
  const records = splits.flatMap((s) => result.splits[s]);
  log(`syntactic change for ${splits.join(', ')}: parsing with link-parser`);
  let bar: Progress | undefined;
  let coverage: SyntaxCoverage;
  try {
    // runBuild has checked that link-parser is installed (checkParser) before building.
    coverage = await annotateSyntactic(records, result.references, {
      cache: join(options.out, SYNTAX_CACHE),
      workers: options.workers,
      onProgress: (done, total) => {
        bar ??= progressBar('parsing', total);
        bar.update(done, total);
      },
    });
  } finally {
    bar?.stop();
  }
  const pct = coverage.paraphrased ? ((100 * coverage.measured) / coverage.paraphrased).toFixed(1) : '0';
  const unmeasured = coverage.paraphrased - coverage.measured;
  log(
    `syntactic change measured for ${coverage.measured} of ${coverage.paraphrased} paraphrased sentences (${pct}%)` +
      (unmeasured ? `; ${unmeasured} have a side link-parser gave no tree (null in the column)` : '') +
      `; ${coverage.parsed} sentences parsed, the rest from ${SYNTAX_CACHE}`,
  );
}

/** Fails before the build, not after it, when the syntactic column is asked for and link-parser is missing. */
async function checkParser(): Promise<void> {
  try {
    await parseSentences(['The parser is here.']);
  } catch (err) {
    if (err instanceof LinkParserMissing) throw new CliError(err.message);
    throw err;
  }
}

/** stats.json: the task splits' stats, the generated splits' stats, and what was read (with hashes). */
export interface BuildStats extends DatasetStats {
  corpus: { sha256: string; files: CorpusFile[] };
  generated: DatasetStats;
}

/** Where the generated-text records of a split go (next to the task's split). */
export const generatedFile = (split: Split) => `${split}-generated.jsonl`;

export async function runBuild(options: BuildCommandOptions): Promise<BuildStats> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (options.syntactic?.length) await checkParser();
  log(`reading corpus ${options.corpus}`);
  let corpus: Corpus;
  try {
    corpus = await readCorpus(options.corpus, options.files);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const sha256 = corpusSha256(corpus.files);
  log(`read ${corpus.files.map((f) => `${f.name} (${f.rows} rows)`).join(', ')}; corpus sha256 ${sha256.slice(0, 12)}…`);
  const bar = progressBar('building', corpusRows(corpus));
  const result = buildDataset(corpus, { seed: options.seed, onProgress: (done) => bar.update(done) });
  bar.stop();
  if (options.syntactic?.length) await addSyntactic(options, options.syntactic, result, log);
  const extra = { seed: options.seed, skipped: result.skipped, alignment: result.alignment };
  const stats: BuildStats = {
    ...computeStats(result.splits, extra),
    corpus: { sha256, files: corpus.files },
    generated: computeStats(result.generated, { seed: options.seed, skipped: {}, alignment: {} }),
  };
  for (const split of SPLITS) await writeJsonLines(join(options.out, `${split}.jsonl`), result.splits[split]);
  for (const split of SPLITS) await writeJsonLines(join(options.out, generatedFile(split)), result.generated[split]);
  await writeJson(join(options.out, 'stats.json'), stats);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  log(
    `${pc.green('wrote')} ${options.out}: ${stats.records} records, ${stats.sentences} sentences, ` +
      `${pct(stats.positive_rate)} paraphrased sentences; ` +
      SPLITS.map((s) => `${s} ${stats.splits[s].records}`).join(', ') +
      `; and ${stats.generated.records} LLM-written documents in ${SPLITS.map(generatedFile).join(', ')}`,
  );
  return stats;
}

function parseSplits(value: string): Split[] {
  if (value === 'all') return [...SPLITS];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.find((n) => !(SPLITS as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0)
    throw new UsageError(`--syntactic takes "all" or splits separated by commas (${SPLITS.join(', ')}), got "${value}"`);
  return [...new Set(names)] as Split[];
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--workers must be an integer from 1 to 64, got "${value}"`);
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`--seed must be a non-negative integer, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  const dataset = program.command('dataset').description('Build PASTED-format training data from the ptd corpus.');
  dataset
    .command('build')
    .description('Write train/validation/test.jsonl and stats.json (split by doc_id, deterministic for a seed).')
    .requiredOption(
      '--corpus <dir>',
      'corpus directory: every doc_rewrites*, span_rewrites*, human_passages*, llm_texts* and mixed_continuations* .jsonl file in it',
    )
    .option('--files <names>', 'only these corpus files, separated by commas (names in --corpus, or paths)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'split and sampling seed', String(DEFAULT_SEED))
    .option(
      '--syntactic <splits>',
      'add PASTED\'s syntactic-change column to these splits ("validation,test", "all"); needs link-grammar\'s link-parser',
    )
    .option('--workers <n>', 'link-parser processes side by side (default: one per core)')
    .action(async (opts: { corpus: string; files?: string; out: string; seed: string; syntactic?: string; workers?: string }) => {
      await runBuild({
        corpus: opts.corpus,
        files: opts.files?.split(',').map((f) => f.trim()).filter(Boolean),
        out: opts.out,
        seed: parseSeed(opts.seed),
        syntactic: opts.syntactic === undefined ? undefined : parseSplits(opts.syntactic),
        workers: opts.workers === undefined ? undefined : parseWorkers(opts.workers),
      });
    });
}
