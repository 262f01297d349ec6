// Scoring PASTED records with one of ptd's models through the runtime, batch by batch with a progress bar: what
// `ptd eval --model` and `ptd calibrate` read. Each record's sentences are scored as given (never re-split).
import { CliError } from './errors.ts';
import type { Detector, Device, Dtype } from '../model/types.ts';
import { progressBar } from '../dataset/progress.ts';
import type { NotScored } from '../dataset/evaluate.ts';
import type { ParsedRecord } from '../dataset/records.ts';

export type ModelOutput = 'score' | 'degree';

export interface ModelScoring {
  device?: Device;
  dtype?: Dtype;
  /** Documents per batch (16 by default). */
  batchSize?: number;
  /** The paraphrase probability (default) or the predicted degree of lexical change. */
  output?: ModelOutput;
  /** The value of a sentence the model left unscored (0 by default: never flagged, as a reader sees it). */
  unscoredAs?: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Loads a model by name or directory; a load failure is a CLI error naming the model. */
export async function loadModel(model: string, options: ModelScoring = {}): Promise<Detector> {
  const { loadNodeDetector } = await import('../model/node.ts');
  try {
    return await loadNodeDetector({ model, device: options.device, dtype: options.dtype });
  } catch (err) {
    throw new CliError(`cannot load model ${model}: ${(err as Error).message}`);
  }
}

/**
 * Per record, per sentence: the chosen output of `detector`. Sentences the model cannot read are left unscored by
 * the runtime; they are evaluated as what the user sees, never flagged (counted as score 0), and counted.
 */
export async function scoreRecords(
  records: ParsedRecord[],
  detector: Detector,
  options: ModelScoring = {},
): Promise<{ scores: number[][]; notScored: NotScored }> {
  const output = options.output ?? 'score';
  const notScored: NotScored = { sentences: 0, documents: 0, reasons: {}, counted_as: options.unscoredAs ?? 0 };
  log(`scoring ${records.length} records with ${detector.info.name} ${detector.info.version} (${detector.info.device}, ${detector.info.dtype})`);
  const batch = options.batchSize ?? 16;
  const bar = progressBar('scoring', records.length);
  const scores: number[][] = [];
  try {
    for (let start = 0; start < records.length; start += batch) {
      const slice = records.slice(start, start + batch);
      const results = await detector.scoreMany(slice.map((r) => ({ sentences: r.sentences })));
      results.forEach((res, k) => {
        const r = slice[k]!;
        if (res.sentences.length !== r.sentences.length) {
          throw new CliError(`model returned ${res.sentences.length} scores for ${r.sentences.length} sentences (record ${r.id ?? start + k + 1})`);
        }
        if (res.coverage.skipped > 0) {
          notScored.documents++;
          for (const s of res.sentences) {
            if (!s.skipped) continue;
            notScored.sentences++;
            notScored.reasons[s.skipped] = (notScored.reasons[s.skipped] ?? 0) + 1;
          }
        }
        if (output === 'degree') {
          if (res.sentences.some((s) => s.score !== null && typeof s.degree !== 'number')) {
            throw new CliError(`model ${detector.info.name} has no degree output (predicted lexical change) to evaluate`);
          }
          scores.push(res.sentences.map((s) => s.degree ?? notScored.counted_as));
        } else {
          scores.push(res.sentences.map((s) => s.score ?? notScored.counted_as));
        }
      });
      bar.update(Math.min(records.length, start + batch));
    }
  } finally {
    bar.stop();
  }
  return { scores, notScored };
}
