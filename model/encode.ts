// Input encoding (must match training, see the model file contract): every sentence is tokenized ALONE without
// special tokens, then a window of sentences becomes `[CLS] s1 [SEP] s2 [SEP] ... sN [SEP]`; sentence i is read
// at the [SEP] that follows it. A sentence longer than `maxTokens - 2` is cut to fit and reported truncated.

/** What the runtime needs from a tokenizer (infer.ts adapts transformers.js's). */
export interface SentenceTokenizer {
  /** Token ids of one sentence, without special tokens. */
  encode(sentence: string): number[];
  clsId: number;
  sepId: number;
  padId: number;
  /** [UNK], when the vocabulary has one (the share of [UNK] tells text the model cannot read). */
  unkId?: number;
}

export interface EncodedSentences {
  /** Token ids per sentence, already cut to `maxTokens - 2`. */
  ids: number[][];
  /** Sentences that were cut. */
  truncated: boolean[];
}

export function encodeSentences(tokenizer: SentenceTokenizer, sentences: readonly string[], maxTokens: number): EncodedSentences {
  const limit = Math.max(1, maxTokens - 2);
  const ids: number[][] = [];
  const truncated: boolean[] = [];
  for (const s of sentences) {
    const t = tokenizer.encode(s);
    if (t.length > limit) {
      ids.push(t.slice(0, limit));
      truncated.push(true);
    } else {
      ids.push(t);
      truncated.push(false);
    }
  }
  return { ids, truncated };
}

export interface AssembledWindow {
  /** `[CLS] s_first [SEP] ... s_last [SEP]`. */
  ids: Int32Array;
  /** Position of the [SEP] after each sentence of the window, in order. */
  sepPositions: Int32Array;
}

/** Assembles sentences `[first, end)` into one input sequence. */
export function assemble(sentenceIds: readonly number[][], first: number, end: number, clsId: number, sepId: number): AssembledWindow {
  let length = 1;
  for (let i = first; i < end; i++) length += sentenceIds[i]!.length + 1;
  const ids = new Int32Array(length);
  const sepPositions = new Int32Array(end - first);
  ids[0] = clsId;
  let pos = 1;
  for (let i = first; i < end; i++) {
    const s = sentenceIds[i]!;
    ids.set(s, pos);
    pos += s.length;
    ids[pos] = sepId;
    sepPositions[i - first] = pos;
    pos++;
  }
  return { ids, sepPositions };
}

export interface Batch {
  /** Row-major [rows, width] ids, padded with the pad id; attention mask 1 on real tokens. */
  inputIds: Int32Array;
  attentionMask: Int32Array;
  rows: number;
  width: number;
}

/** Pads sequences into one batch. */
export function padBatch(sequences: readonly Int32Array[], padId: number): Batch {
  let width = 0;
  for (const s of sequences) width = Math.max(width, s.length);
  const rows = sequences.length;
  const inputIds = new Int32Array(rows * width).fill(padId);
  const attentionMask = new Int32Array(rows * width);
  sequences.forEach((s, r) => {
    inputIds.set(s, r * width);
    attentionMask.fill(1, r * width, r * width + s.length);
  });
  return { inputIds, attentionMask, rows, width };
}

/**
 * Groups sequences (given by length) into batches: sorted by length so padding stays small, at most
 * `maxRows` rows and `maxTokens` padded tokens per batch. Returns indices into `lengths`.
 */
export function planBatches(lengths: readonly number[], maxRows = 64, maxTokens = 16_384): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
  const batches: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    const width = lengths[i]!; // the longest so far, since sorted
    if (cur.length > 0 && (cur.length + 1 > maxRows || (cur.length + 1) * width > maxTokens)) {
      batches.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) batches.push(cur);
  return batches;
}
