// `ptd dataset build`: corpus → train/validation/test.jsonl + stats.json (parse → call → write).
import type { Command } from 'commander';
import pc from 'picocolors';
import { join } from 'node:path';
import { CliError, UsageError } from '../../cli/errors.ts';
import { buildDataset } from '../build.ts';
import { readCorpus } from '../corpus.ts';
import { progressBar } from '../progress.ts';
import { writeJson, writeJsonLines } from '../records.ts';
import { DEFAULT_SEED, SPLITS } from '../split.ts';
import { computeStats, type DatasetStats } from '../stats.ts';

export interface BuildCommandOptions {
  corpus: string;
  out: string;
  seed: number;
}

export async function runBuild(options: BuildCommandOptions): Promise<DatasetStats> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`reading corpus ${options.corpus}`);
  let corpus;
  try {
    corpus = await readCorpus(options.corpus);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const total = corpus.docRewrites.length + corpus.spanRewrites.length + corpus.humanPassages.length;
  const bar = progressBar('building', total);
  const result = buildDataset(corpus, { seed: options.seed, onProgress: (done) => bar.update(done) });
  bar.stop();
  const stats = computeStats(result.splits, { seed: options.seed, skipped: result.skipped, alignment: result.alignment });
  for (const split of SPLITS) await writeJsonLines(join(options.out, `${split}.jsonl`), result.splits[split]);
  await writeJson(join(options.out, 'stats.json'), stats);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  log(
    `${pc.green('wrote')} ${options.out}: ${stats.records} records, ${stats.sentences} sentences, ` +
      `${pct(stats.positive_rate)} paraphrased sentences; ` +
      SPLITS.map((s) => `${s} ${stats.splits[s].records}`).join(', '),
  );
  return stats;
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
    .requiredOption('--corpus <dir>', 'corpus directory (doc_rewrites.jsonl, span_rewrites.jsonl, human_passages.jsonl)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'split and sampling seed', String(DEFAULT_SEED))
    .action(async (opts: { corpus: string; out: string; seed: string }) => {
      await runBuild({ corpus: opts.corpus, out: opts.out, seed: parseSeed(opts.seed) });
    });
}
