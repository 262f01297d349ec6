// Detector-agnostic predictions: JSON lines (or a JSON array) of {"id", "scores": [one per sentence]},
// joined one-to-one to the evaluated records by id (or by position when the records carry no ids).
import { readJsonValues, RecordError, type ParsedRecord } from './records.ts';

export interface Prediction {
  line: number;
  id?: string;
  scores: number[];
}

export async function readPredictions(file: string): Promise<Prediction[]> {
  const out: Prediction[] = [];
  try {
    for await (const item of readJsonValues(file)) {
      if ('error' in item) throw new RecordError(file, item.line, item.error, item.unit);
      const v = item.value as Record<string, unknown> | null;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RecordError(file, item.line, 'prediction is not a JSON object', item.unit);
      if (!Array.isArray(v.scores)) throw new RecordError(file, item.line, 'missing "scores" list', item.unit);
      const bad = v.scores.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
      if (bad >= 0) throw new RecordError(file, item.line, `"scores"[${bad}] is not a number (${JSON.stringify(v.scores[bad])})`, item.unit);
      const p: Prediction = { line: item.line, scores: v.scores as number[] };
      if (v.id !== undefined && v.id !== null) p.id = String(v.id);
      out.push(p);
    }
  } catch (err) {
    if (err instanceof RecordError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new RecordError(file, 0, e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  return out;
}

export class JoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

function listSome(ids: string[], max = 5): string {
  const shown = ids.slice(0, max).map((id) => JSON.stringify(id)).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

/**
 * Scores per record, in record order. By id when every record has one (each id exactly once on both sides),
 * otherwise by position. Missing or extra ids, and a score count that is not the sentence count, are errors.
 */
export function joinPredictions(records: ParsedRecord[], predictions: Prediction[]): number[][] {
  const withIds = records.filter((r) => r.id !== undefined).length;
  if (withIds > 0 && withIds < records.length) {
    const k = records.findIndex((r) => r.id === undefined);
    throw new JoinError(`${records.length - withIds} of ${records.length} records have no "id" (the first is record ${k + 1}): give every record an id, or none`);
  }
  const byId = withIds > 0;
  let joined: Prediction[];
  if (byId) {
    const recordIds = records.map((r) => r.id!);
    const dupRecords = duplicates(recordIds);
    if (dupRecords.length) throw new JoinError(`records repeat ids ${listSome(dupRecords)}: cannot join predictions by id`);
    const withoutId = predictions.filter((p) => p.id === undefined);
    if (withoutId.length) throw new JoinError(`predictions without "id" (line ${withoutId[0]!.line}): the records have ids`);
    const dupPredictions = duplicates(predictions.map((p) => p.id!));
    if (dupPredictions.length) throw new JoinError(`predictions repeat ids ${listSome(dupPredictions)}`);
    const map = new Map(predictions.map((p) => [p.id!, p]));
    const missing = recordIds.filter((id) => !map.has(id));
    const known = new Set(recordIds);
    const extra = predictions.filter((p) => !known.has(p.id!)).map((p) => p.id!);
    const problems: string[] = [];
    if (missing.length) problems.push(`no prediction for ${missing.length} record id(s): ${listSome(missing)}`);
    if (extra.length) problems.push(`${extra.length} prediction id(s) match no record: ${listSome(extra)}`);
    if (problems.length) throw new JoinError(problems.join('; '));
    joined = recordIds.map((id) => map.get(id)!);
  } else {
    if (predictions.length !== records.length) {
      throw new JoinError(
        `the records have no ids, so predictions are matched by position: ${records.length} records but ${predictions.length} predictions`,
      );
    }
    joined = predictions;
  }
  return records.map((r, k) => {
    const p = joined[k]!;
    if (p.scores.length !== r.sentences.length) {
      const which = r.id !== undefined ? `record id ${JSON.stringify(r.id)}` : `record ${k + 1}`;
      throw new JoinError(`${which}: ${p.scores.length} scores for ${r.sentences.length} sentences (prediction line ${p.line})`);
    }
    return p.scores;
  });
}
