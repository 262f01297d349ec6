// Sentence-level BLEU-4 and the `lexical` signal of PASTED: lexical = 1 − BLEU-4(paraphrase, original).
// Smoothing: Lin & Och (2004) add-one on the 2- to 4-gram precisions, so a sentence that shares words
// but no 4-gram with its original scores above 0. Case-sensitive word and punctuation tokens.

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[^\s\p{L}\p{N}]/gu;

/** Word and punctuation tokens, case kept (BLEU's usual tokenisation, roughly 13a). */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** BLEU-4 of `candidate` against one `reference`, smoothed, in [0, 1]. */
export function sentenceBleu(candidate: string | string[], reference: string | string[]): number {
  const cand = typeof candidate === 'string' ? tokenize(candidate) : candidate;
  const ref = typeof reference === 'string' ? tokenize(reference) : reference;
  if (cand.length === 0 || ref.length === 0) return 0;
  let logSum = 0;
  for (let n = 1; n <= 4; n++) {
    const c = ngramCounts(cand, n);
    const r = ngramCounts(ref, n);
    let matched = 0;
    let total = 0;
    for (const [gram, count] of c) {
      total += count;
      matched += Math.min(count, r.get(gram) ?? 0);
    }
    if (n === 1) {
      if (matched === 0) return 0;
      logSum += Math.log(matched / total);
    } else {
      logSum += Math.log((matched + 1) / (total + 1));
    }
  }
  const brevity = cand.length >= ref.length ? 1 : Math.exp(1 - ref.length / cand.length);
  return Math.min(1, brevity * Math.exp(logSum / 4));
}

/** PASTED's lexical-change signal of a paraphrased sentence: 1 − BLEU-4 against its aligned original. */
export function lexicalChange(paraphrase: string, original: string): number {
  return round4(1 - sentenceBleu(paraphrase, original));
}

export function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
