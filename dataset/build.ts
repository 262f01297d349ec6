// The dataset builder: corpus rows → PASTED-format records (see ../shared/data/README.md), split by doc_id.
//   doc_rewrites  → align rewrite to original; splice 1–10 sentence runs (heavy edits) or keep the whole
//                   rewrite labelled per changed sentence (light edits); each original once as a negative.
//   span_rewrites → the passage with its span(s) replaced, every rewrite sentence labelled 1.
//   human_passages→ negatives (all 0); a passage that has span rewrites keeps their sentence split.
//   llm_texts     → `generated` records: every sentence an LLM wrote labelled 1, a human prefix it continues 0.
//   mixed_continuations → `continuation` records as given (human prefix 0, LLM continuation 1).
// The paraphrase-task records (the first three) go to splits; generated and continuation ones to a second set
// of splits (`generated`), so the task's test figures stay the task's.
// Deterministic for a seed: every row draws from its own generator seeded by (seed, row id).
import { segment } from '../model/segment.ts';
import { alignSentences, groupKind, similarity } from './align.ts';
import type { Corpus, DocRewrite, HumanPassage, LlmText, MixedContinuation, SpanRewrite } from './corpus.ts';
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

/** The edits the corpus README calls light (and RAIDAR's minimal polish): kept whole and labelled per changed sentence. */
export const LIGHT_EDITS = new Set(['polish_1', 'polish_5', 'polish_10', 'polish_extreme_minor', 'polish_minor', 'polish_minimal']);

/**
 * Records drawn per doc rewrite, by source (a fraction is drawn with that probability). apt-eval has 38
 * rewrites of each of its 240 documents; these rates give every source of paraphrased records a similar
 * share (~4.3k records each, like the span rewrites) and leave ~1/3 of all records untouched human text.
 */
export const PLAN: Record<string, { splices: number; lightEdits: number }> = {
  mixset: { splices: 3, lightEdits: 1 },
  'hppt-test': { splices: 3, lightEdits: 1 },
  'apt-eval': { splices: 0.4, lightEdits: 0.6 },
  // Third wave (doc_rewrites_extra): RAIDAR's 13k pairs are mostly 1–3-sentence snippets by gpt-3.5, so fewer
  // draws keep one paraphraser from swamping the rest; the small sources get more.
  raidar: { splices: 0.6, lightEdits: 1 },
  l2r: { splices: 1, lightEdits: 1 },
  imbd: { splices: 1.5, lightEdits: 1 },
  detectrl: { splices: 3, lightEdits: 1 },
  'detector-bias': { splices: 3, lightEdits: 1 },
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
  /** LLM-written documents (generated texts and human→LLM continuations), split by the same rule. */
  generated: Record<Split, DatasetRecord[]>;
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
  file?: string;
  doc_id: string;
  source: string;
  paraphraser: string | null;
  domain: string;
  edit: string | null;
  construction: Construction;
  extra?: Record<string, unknown>;
}

function toRecord(sentences: LabelledSentence[], p: Provenance): DatasetRecord {
  const record: DatasetRecord = {
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
    ...(p.file === undefined ? {} : { file: p.file }),
    ...p.extra,
  };
  // The mirror of each paraphrased sentence: the original sentence(s) it was aligned to (null for human
  // sentences and for rewrite sentences with no counterpart), for pairwise training objectives.
  if (sentences.some((s) => s.reference?.length)) record.original = sentences.map((s) => (s.label === 1 && s.reference?.length ? s.reference.join(' ') : null));
  return record;
}

class Collector {
  readonly splits: Record<Split, DatasetRecord[]> = { train: [], validation: [], test: [] };
  readonly generated: Record<Split, DatasetRecord[]> = { train: [], validation: [], test: [] };
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
    const generated = p.construction === 'generated' || p.construction === 'continuation';
    (generated ? this.generated : this.splits)[splitOf(p.doc_id, this.seed)].push(record);
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
    file: row.file,
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
    file: row.file,
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
  const total = corpusRows(corpus);
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
        file: row.file,
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
      file: row.file,
      doc_id: row.doc_id,
      source: row.source,
      paraphraser: null,
      domain: row.domain,
      edit: null,
      construction: 'human',
    });
    tick();
  }

  const humanTexts = [...originals.entries()].map(([docId, sentences]) => ({ docId, sentences }));
  for (const row of corpus.humanPassages) humanTexts.push({ docId: row.doc_id, sentences: passageSentences.get(row.id) ?? sentencesOf(row.text) });
  const prefixes = humanPrefixes(corpus.llmTexts, humanTexts);
  for (const row of corpus.llmTexts) {
    buildLlmText(row, prefixes.get(row.id), out);
    tick();
  }
  for (const row of corpus.mixedContinuations) {
    buildContinuation(row, out);
    tick();
  }

  return {
    splits: out.splits,
    generated: out.generated,
    skipped: out.skipped,
    alignment: out.alignment,
    references: out.references,
  };
}

/** Rows the builder reads (its progress total). */
export function corpusRows(corpus: Corpus): number {
  return (
    corpus.docRewrites.length +
    corpus.spanRewrites.length +
    corpus.humanPassages.length +
    corpus.llmTexts.length +
    corpus.mixedContinuations.length
  );
}

/** Where an LLM text's human prefix ends: its first `sentences` sentences are human, from document `docId`. */
interface HumanPrefix {
  sentences: number;
  docId: string | null;
}

const PREFIX_KEY_CHARS = 40;

/** The longest common prefix of two strings. */
function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The human prefix of each continuation in llm_texts (task names a prefix). The corpus does not mark where it
 * ends, so it is found from its neighbours: continuations of one prefix by several generators share it, and a
 * prefix cut from a human text of the corpus shares that text's beginning. The prefix covers the sentences that
 * lie wholly inside the common beginning; a continuation with no neighbour has no known prefix (skipped).
 */
export function humanPrefixes(rows: LlmText[], humans: { docId: string; sentences: string[] }[]): Map<string, HumanPrefix> {
  const key = (text: string) => text.slice(0, PREFIX_KEY_CHARS);
  const byKey = new Map<string, { texts: string[]; docId: string | null }>();
  const continuations = rows.filter((r) => /prefix/.test(r.task));
  for (const r of continuations) {
    const text = normalizeSentence(r.text);
    if (text.length < PREFIX_KEY_CHARS) continue;
    const entry = byKey.get(key(text)) ?? { texts: [], docId: null };
    entry.texts.push(text);
    byKey.set(key(text), entry);
  }
  for (const h of humans) {
    const text = h.sentences.join(' ');
    const entry = byKey.get(key(text));
    if (entry && entry.docId === null) {
      entry.docId = h.docId;
      entry.texts.push(text);
    }
  }
  const out = new Map<string, HumanPrefix>();
  for (const r of continuations) {
    const text = normalizeSentence(r.text);
    const entry = byKey.get(key(text));
    if (!entry || entry.texts.length < 2) continue;
    let shared = Infinity;
    for (const other of entry.texts) if (other !== text) shared = Math.min(shared, commonPrefix(text, other));
    if (!Number.isFinite(shared)) continue;
    // Sentences wholly inside the shared beginning are human; the one it ends in was finished by the LLM.
    let at = 0;
    let human = 0;
    for (const sentence of sentencesOf(text)) {
      const start = text.indexOf(sentence, at);
      if (start < 0) break;
      at = start + sentence.length;
      if (at > shared) break;
      human++;
    }
    out.set(r.id, { sentences: human, docId: entry.docId });
  }
  return out;
}

function buildLlmText(row: LlmText, prefix: HumanPrefix | undefined, out: Collector): void {
  const continues = /prefix/.test(row.task);
  if (continues && !prefix) return out.skip('continuation with an unknown human prefix');
  const sentences = sentencesOf(row.text);
  const human = prefix?.sentences ?? 0;
  if (sentences.length <= human) return out.skip('no generated sentence');
  out.add(
    sentences.map((text, i) => (i < human ? { text, label: 0, lexical: 0 } : { text, label: 1, lexical: 1 })),
    {
      id: `${row.id}#generated`,
      file: row.file,
      // A continuation shares the split of the human text it continues (or of its siblings' prefix).
      doc_id: prefix?.docId ?? (continues ? `llm-prefix:${normalizeSentence(row.text).slice(0, PREFIX_KEY_CHARS)}` : `llm:${row.id}`),
      source: row.source,
      paraphraser: row.generator,
      domain: row.domain,
      edit: row.task,
      construction: 'generated',
    },
  );
}

function buildContinuation(row: MixedContinuation, out: Collector): void {
  if (!Array.isArray(row.sentences) || !Array.isArray(row.label) || row.sentences.length !== row.label.length)
    return out.skip('continuation with labels not one per sentence');
  const sentences: LabelledSentence[] = [];
  row.sentences.forEach((text, i) => {
    const clean = normalizeSentence(text);
    if (clean === '') return;
    const label = row.label[i]! > 0 ? 1 : 0;
    sentences.push({ text: clean, label, lexical: label ? (row.lexical?.[i] ?? 1) : 0 });
  });
  out.add(sentences, {
    id: `${row.id}#continuation`,
    file: row.file,
    doc_id: `continuation:${row.id}`,
    source: row.source,
    paraphraser: row.paraphraser,
    domain: row.domain,
    edit: row.edit ?? 'continuation',
    construction: 'continuation',
  });
}
