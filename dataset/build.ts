// The dataset builder: corpus rows → PASTED-format records (see ../shared/data/README.md), split by doc_id.
//   doc_rewrites  → align rewrite to original; splice 1–10 sentence runs (heavy edits) or keep the whole
//                   rewrite labelled per changed sentence (light edits); each original once as a negative.
//   span_rewrites → the passage with its span(s) replaced, every rewrite sentence labelled 1.
//   human_passages→ negatives (all 0); a passage that has span rewrites keeps their sentence split.
// Deterministic for a seed: every row draws from its own generator seeded by (seed, row id).
import { segment } from '../model/segment.ts';
import { alignSentences, groupKind, similarity } from './align.ts';
import type { Corpus, DocRewrite, HumanPassage, SpanRewrite } from './corpus.ts';
import { cleanRewrite } from './corpus.ts';
import { rngFor, type Random } from './random.ts';
import type { Construction, DatasetRecord } from './records.ts';
import { joinSentences } from './records.ts';
import {
  lightEdit,
  normalizeSentence,
  pickRuns,
  splice,
  spanRewrite,
  spliceRuns,
  type LabelledSentence,
} from './splice.ts';
import { DEFAULT_SEED, splitOf, type Split } from './split.ts';
import type { References } from './syntax/annotate.ts';

/** The edits the corpus README calls light: kept whole and labelled per changed sentence. */
export const LIGHT_EDITS = new Set(['polish_1', 'polish_5', 'polish_10', 'polish_extreme_minor', 'polish_minor']);

/**
 * Records drawn per doc rewrite, by source (a fraction is drawn with that probability). apt-eval has 38
 * rewrites of each of its 240 documents; these rates give every source of paraphrased records a similar
 * share (~4.3k records each, like the span rewrites) and leave ~1/3 of all records untouched human text.
 */
export const PLAN: Record<string, { splices: number; lightEdits: number }> = {
  mixset: { splices: 3, lightEdits: 1 },
  'hppt-test': { splices: 3, lightEdits: 1 },
  'apt-eval': { splices: 0.4, lightEdits: 0.6 },
};
const DEFAULT_PLAN = { splices: 2, lightEdits: 1 };

/** Rewrites sharing fewer words than this with their original (unigram F1) are off-task output, skipped. */
export const MIN_DOCUMENT_SIMILARITY = 0.3;

export interface BuildOptions {
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BuildResult {
  splits: Record<Split, DatasetRecord[]>;
  /** Why corpus rows gave no record, with counts. */
  skipped: Record<string, number>;
  /** Alignment group kinds over all aligned doc rewrites (`1:1`, `1:2`, …). */
  alignment: Record<string, number>;
  /** Per record id, each paraphrased sentence's aligned originals (for the syntactic signal, syntax/annotate.ts). */
  references: References;
}

/** Sentences of a text as the runtime splits them, each on one line. */
export function sentencesOf(text: string): string[] {
  return segment(text)
    .map((s) => normalizeSentence(s.text))
    .filter((s) => s !== '');
}

function draws(rate: number, random: Random): number {
  const whole = Math.floor(rate);
  return whole + (random() < rate - whole ? 1 : 0);
}

interface Provenance {
  id: string;
  doc_id: string;
  source: string;
  paraphraser: string | null;
  domain: string;
  edit: string | null;
  construction: Construction;
  extra?: Record<string, unknown>;
}

function toRecord(sentences: LabelledSentence[], p: Provenance): DatasetRecord {
  return {
    id: p.id,
    text: joinSentences(sentences.map((s) => s.text)),
    label: sentences.map((s) => s.label),
    lexical: sentences.map((s) => s.lexical),
    source: p.source,
    paraphraser: p.paraphraser,
    domain: p.domain,
    edit: p.edit,
    doc_id: p.doc_id,
    construction: p.construction,
    ...p.extra,
  };
}

class Collector {
  readonly splits: Record<Split, DatasetRecord[]> = { train: [], validation: [], test: [] };
  readonly skipped: Record<string, number> = {};
  readonly alignment: Record<string, number> = {};
  readonly references: References = new Map();
  private readonly seen = new Set<string>();
  private readonly ids = new Set<string>();

  constructor(private readonly seed: number) {}

  skip(reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  add(sentences: LabelledSentence[], p: Provenance): boolean {
    if (sentences.length === 0) {
      this.skip('no sentences');
      return false;
    }
    const record = toRecord(sentences, p);
    // The same text with the same labels twice (two rewrites making one change) is kept once.
    const key = `${record.text}\u0000${record.label.join('')}`;
    if (this.seen.has(key)) {
      this.skip('duplicate record');
      return false;
    }
    this.seen.add(key);
    if (this.ids.has(p.id)) throw new Error(`dataset builder bug: record id ${p.id} made twice`);
    this.ids.add(p.id);
    this.references.set(p.id, sentences.map((s) => (s.label === 1 ? (s.reference ?? []) : null)));
    this.splits[splitOf(p.doc_id, this.seed)].push(record);
    return true;
  }
}

function buildDocRewrite(
  row: DocRewrite,
  original: string[],
  out: Collector,
  seed: number,
): void {
  const cleaned = cleanRewrite(row.rewrite, row.original);
  const rewrite = sentencesOf(cleaned);
  if (rewrite.length === 0) return out.skip('empty rewrite');
  if (similarity(row.original, cleaned) < MIN_DOCUMENT_SIMILARITY) return out.skip('rewrite unrelated to original');
  const groups = alignSentences(original, rewrite);
  for (const g of groups) out.alignment[groupKind(g)] = (out.alignment[groupKind(g)] ?? 0) + 1;
  const random = rngFor(seed, row.id);
  const plan = PLAN[row.source] ?? DEFAULT_PLAN;
  const base = {
    doc_id: row.doc_id,
    source: row.source,
    paraphraser: row.paraphraser,
    domain: row.domain,
    edit: row.edit,
  };
  if (LIGHT_EDITS.has(row.edit)) {
    if (draws(plan.lightEdits, random) === 0) return out.skip('not drawn (source balance)');
    const sentences = lightEdit(original, rewrite, groups);
    if (!sentences.some((s) => s.label === 1)) return out.skip('light edit changed nothing');
    out.add(sentences, { ...base, id: `${row.id}#light`, construction: 'light_edit' });
    return;
  }
  const count = draws(plan.splices, random);
  if (count === 0) return out.skip('not drawn (source balance)');
  const runs = pickRuns(spliceRuns(original, rewrite, groups), count, random);
  if (runs.length === 0) return out.skip('no changed run to splice');
  for (const run of runs) {
    const first = groups[run.first]!;
    const last = groups[run.last]!;
    out.add(splice(original, rewrite, groups, run), {
      ...base,
      // Original sentences [a, b) replaced by rewrite sentences [c, d).
      id: `${row.id}#splice-${first.origStart}:${last.origEnd}-${first.rewStart}:${last.rewEnd}`,
      construction: 'splice',
    });
  }
}

function validSpans(row: SpanRewrite): boolean {
  if (!Array.isArray(row.spans) || row.spans.length === 0 || row.spans.length !== row.rewrites.length) return false;
  const sorted = [...row.spans].sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [start, end] of sorted) {
    if (!(Number.isInteger(start) && Number.isInteger(end)) || start < at || end <= start || end > row.sentences.length)
      return false;
    at = end;
  }
  return true;
}

function buildSpanRewrite(row: SpanRewrite, out: Collector): void {
  if (!validSpans(row)) return out.skip('invalid spans');
  const sentences = row.sentences.map(normalizeSentence);
  const rewrites = row.rewrites.map((r, k) => {
    const [start, end] = row.spans[k]!;
    return sentencesOf(cleanRewrite(r, sentences.slice(start, end).join(' ')));
  });
  if (rewrites.some((r) => r.length === 0)) return out.skip('empty rewrite');
  out.add(spanRewrite(sentences, row.spans, rewrites), {
    id: `${row.id}#span`,
    doc_id: row.doc_id,
    source: row.source,
    paraphraser: row.paraphraser,
    domain: row.domain,
    edit: 'span',
    construction: 'span_rewrite',
    extra: { instruction: row.instruction },
  });
}

function humanSentences(sentences: string[]): LabelledSentence[] {
  return sentences.map((text) => ({ text, label: 0, lexical: 0 }));
}

export function buildDataset(corpus: Corpus, options: BuildOptions = {}): BuildResult {
  const seed = options.seed ?? DEFAULT_SEED;
  const out = new Collector(seed);
  const total = corpus.docRewrites.length + corpus.spanRewrites.length + corpus.humanPassages.length;
  let done = 0;
  const tick = () => {
    done++;
    if (done % 100 === 0 || done === total) options.onProgress?.(done, total);
  };

  // Doc rewrites: each original is segmented once and added once as a negative.
  const originals = new Map<string, string[]>();
  for (const row of corpus.docRewrites) {
    let original = originals.get(row.doc_id);
    if (!original) {
      original = sentencesOf(row.original);
      originals.set(row.doc_id, original);
      out.add(humanSentences(original), {
        id: `${row.doc_id}#original`,
        doc_id: row.doc_id,
        source: row.source,
        paraphraser: null,
        domain: row.domain,
        edit: null,
        construction: 'original',
      });
    }
    buildDocRewrite(row, original, out, seed);
    tick();
  }

  // Span rewrites; remember each passage's sentence split for its human negative.
  const passageSentences = new Map<string, string[]>();
  for (const row of corpus.spanRewrites) {
    if (!passageSentences.has(row.id)) passageSentences.set(row.id, row.sentences.map(normalizeSentence));
    buildSpanRewrite(row, out);
    tick();
  }

  for (const row of corpus.humanPassages as HumanPassage[]) {
    const sentences = passageSentences.get(row.id) ?? sentencesOf(row.text);
    out.add(humanSentences(sentences.filter((s) => s !== '')), {
      id: `${row.id}#human`,
      doc_id: row.doc_id,
      source: row.source,
      paraphraser: null,
      domain: row.domain,
      edit: null,
      construction: 'human',
    });
    tick();
  }

  return { splits: out.splits, skipped: out.skipped, alignment: out.alignment, references: out.references };
}
