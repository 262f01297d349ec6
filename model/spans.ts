// Adjacent sentences labelled `paraphrased` merge into one span (character offsets into the document).
import type { ScoredSentence, SentenceResult, Span } from './types.ts';

/** Skipped sentences are never flagged, so they end a span. */
export function mergeSpans(sentences: readonly SentenceResult[]): Span[] {
  const spans: Span[] = [];
  let run: ScoredSentence[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const mean = run.reduce((acc, s) => acc + s.score, 0) / run.length;
    spans.push({ start: first.start, end: last.end, firstSentence: first.index, lastSentence: last.index, score: Math.round(mean * 1e6) / 1e6 });
    run = [];
  };
  for (const s of sentences) {
    if (s.score !== null && s.label === 'paraphrased' && (run.length === 0 || run[run.length - 1]!.index === s.index - 1)) run.push(s);
    else {
      flush();
      if (s.score !== null && s.label === 'paraphrased') run.push(s);
    }
  }
  flush();
  return spans;
}
