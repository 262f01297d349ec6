import { describe, expect, it } from 'vitest';
import { assemble, encodeSentences, padBatch, planBatches, type SentenceTokenizer } from '../../model/encode.ts';
import { contextWeight, planWindows, type Window } from '../../model/window.ts';

function checkWindows(lengths: number[], maxTokens: number, windows: Window[]): void {
  const cost = (i: number) => Math.min(lengths[i]!, maxTokens - 2) + 1;
  // Cores partition the sentences in order.
  let next = 0;
  for (const w of windows) {
    expect(w.coreFirst).toBe(next);
    expect(w.coreEnd).toBeGreaterThan(w.coreFirst);
    expect(w.first).toBeLessThanOrEqual(w.coreFirst);
    expect(w.end).toBeGreaterThanOrEqual(w.coreEnd);
    next = w.coreEnd;
    let tokens = 1;
    for (let i = w.first; i < w.end; i++) tokens += cost(i);
    expect(w.tokens).toBe(tokens);
    expect(w.tokens).toBeLessThanOrEqual(maxTokens);
  }
  expect(next).toBe(lengths.length);
}

describe('planWindows', () => {
  it('keeps a document that fits in one window', () => {
    const w = planWindows([10, 20, 30], 512);
    expect(w).toEqual([{ first: 0, end: 3, coreFirst: 0, coreEnd: 3, tokens: 64 }]);
  });

  it('returns no window for no sentences', () => {
    expect(planWindows([], 512)).toEqual([]);
  });

  it('cuts a long document into overlapping windows with context on both sides', () => {
    const lengths = Array.from({ length: 200 }, (_, i) => 8 + ((i * 7) % 25));
    const maxTokens = 128;
    const windows = planWindows(lengths, maxTokens);
    expect(windows.length).toBeGreaterThan(10);
    checkWindows(lengths, maxTokens, windows);
    for (const w of windows) {
      // Context before the core unless the core starts the document, and after it unless it ends it.
      if (w.coreFirst > 0) expect(w.first).toBeLessThan(w.coreFirst);
      else expect(w.first).toBe(0);
      if (w.coreEnd < lengths.length) expect(w.end).toBeGreaterThan(w.coreEnd);
      else expect(w.end).toBe(lengths.length);
    }
    // Consecutive windows overlap.
    for (let k = 1; k < windows.length; k++) expect(windows[k]!.first).toBeLessThan(windows[k - 1]!.end);
  });

  it('gives a sentence longer than a window its own window, cut to fit', () => {
    const lengths = [10, 1000, 12, 9];
    const windows = planWindows(lengths, 64);
    checkWindows(lengths, 64, windows);
    const own = windows.find((w) => w.coreFirst === 1)!;
    expect(own).toMatchObject({ first: 1, end: 2, coreEnd: 2, tokens: 64 });
  });

  it('honours a custom context size', () => {
    const lengths = Array.from({ length: 60 }, () => 9);
    const windows = planWindows(lengths, 100, 20);
    checkWindows(lengths, 100, windows);
    const middle = windows[2]!;
    expect(middle.coreFirst - middle.first).toBe(2); // 2 sentences of 10 tokens = 20
    expect(middle.end - middle.coreEnd).toBe(2);
  });
});

describe('contextWeight', () => {
  it('weighs a sentence by the context on its shorter side, counting the document edge as complete', () => {
    const lengths = Array.from({ length: 20 }, () => 9);
    const w: Window = { first: 4, end: 12, coreFirst: 6, coreEnd: 10, tokens: 81 };
    expect(contextWeight(lengths, w, 4, 512)).toBe(1); // at the left edge of the window
    expect(contextWeight(lengths, w, 7, 512)).toBe(1 + 30); // 3 sentences left, 4 right
    expect(contextWeight(lengths, w, 11, 512)).toBe(1);
    const whole: Window = { first: 0, end: 20, coreFirst: 0, coreEnd: 20, tokens: 201 };
    expect(contextWeight(lengths, whole, 0, 512)).toBe(1 + 512);
  });
});

const fakeTokenizer: SentenceTokenizer = {
  // One token per word, id = word length + 10.
  encode: (s) => s.split(/\s+/).filter(Boolean).map((w) => w.length + 10),
  clsId: 2,
  sepId: 3,
  padId: 0,
};

describe('encoding', () => {
  it('tokenizes each sentence alone and cuts the ones longer than maxTokens - 2', () => {
    const enc = encodeSentences(fakeTokenizer, ['a bb', 'w '.repeat(20).trim(), 'ccc'], 10);
    expect(enc.ids).toEqual([[11, 12], Array(8).fill(11), [13]]);
    expect(enc.truncated).toEqual([false, true, false]);
  });

  it('assembles [CLS] s1 [SEP] s2 [SEP] with the separator positions', () => {
    const ids = [[11, 12], [13], [14, 15, 16]];
    const a = assemble(ids, 0, 3, 2, 3);
    expect(Array.from(a.ids)).toEqual([2, 11, 12, 3, 13, 3, 14, 15, 16, 3]);
    expect(Array.from(a.sepPositions)).toEqual([3, 5, 9]);
    const b = assemble(ids, 1, 3, 2, 3);
    expect(Array.from(b.ids)).toEqual([2, 13, 3, 14, 15, 16, 3]);
    expect(Array.from(b.sepPositions)).toEqual([2, 6]);
  });

  it('pads a batch and masks the padding', () => {
    const batch = padBatch([Int32Array.of(2, 5, 3), Int32Array.of(2, 3)], 0);
    expect(batch).toMatchObject({ rows: 2, width: 3 });
    expect(Array.from(batch.inputIds)).toEqual([2, 5, 3, 2, 3, 0]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('plans batches by length within row and token limits, covering every sequence once', () => {
    const lengths = [300, 12, 500, 40, 41, 39, 512, 7, 100, 250];
    const batches = planBatches(lengths, 3, 1024);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(3);
      const width = Math.max(...b.map((i) => lengths[i]!));
      expect(b.length === 1 || b.length * width <= 1024).toBe(true);
    }
    // Sorted by length: padding stays small.
    const widths = batches.map((b) => b.map((i) => lengths[i]!));
    for (const w of widths) expect(Math.max(...w) - Math.min(...w)).toBeLessThan(300);
  });
});
