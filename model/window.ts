// Windows: a document longer than the model's maximum is read in overlapping windows cut at sentence
// boundaries. Sentences are split into consecutive "cores" that fit a window with room to spare; each window
// is its core plus up to `contextTokens` of neighbouring sentences on each side, so every sentence is read with
// context on both sides wherever the document has it. A sentence seen in several windows gets a merged score
// (score.ts), weighted by how much context it had in each.

export interface Window {
  /** Sentences `[first, end)` of the document. */
  first: number;
  end: number;
  /** The sentences this window was planned for, `[coreFirst, coreEnd)`; the others are context. */
  coreFirst: number;
  coreEnd: number;
  /** Tokens of the assembled sequence ([CLS], sentences, one [SEP] each). */
  tokens: number;
}

/** Default context on each side of a core: a sixth of the window (~85 tokens of 512, 3–4 sentences). */
export function defaultContextTokens(maxTokens: number): number {
  return Math.floor(maxTokens / 6);
}

/**
 * Plans windows over sentences of `lengths[i]` tokens each (already cut to `maxTokens - 2`).
 * Every sentence is in the core of exactly one window; windows hold at most `maxTokens` tokens.
 */
export function planWindows(lengths: readonly number[], maxTokens: number, contextTokens = defaultContextTokens(maxTokens)): Window[] {
  const n = lengths.length;
  if (n === 0) return [];
  const cost = (i: number) => Math.min(lengths[i]!, maxTokens - 2) + 1;
  let total = 1;
  for (let i = 0; i < n; i++) total += cost(i);
  if (total <= maxTokens) return [{ first: 0, end: n, coreFirst: 0, coreEnd: n, tokens: total }];

  const budget = maxTokens - 1; // room for sentences and their [SEP]s after [CLS]
  const context = Math.max(0, Math.min(contextTokens, Math.floor(budget / 3)));
  const coreBudget = budget - 2 * context;
  const windows: Window[] = [];
  let a = 0;
  while (a < n) {
    // The core: as many sentences as fit `coreBudget`, leaving room for at least the nearest sentence on each side.
    const before = a > 0 ? cost(a - 1) : 0;
    let b = a + 1;
    let used = cost(a);
    while (b < n) {
      const after = b + 1 < n ? cost(b + 1) : 0;
      if (used + cost(b) > coreBudget || before + used + cost(b) + after > budget) break;
      used += cost(b++);
    }
    let l = a;
    let r = b;
    let left = 0;
    let right = 0;
    // The nearest neighbours first, even when longer than `context`: some context beats none.
    if (l > 0 && used + cost(l - 1) <= budget) {
      l--;
      left += cost(l);
      used += cost(l);
    }
    if (r < n && used + cost(r) <= budget) {
      used += cost(r);
      right += cost(r);
      r++;
    }
    // Then more context, alternating sides one sentence at a time, each side up to `context` tokens.
    for (;;) {
      const canLeft = l > 0 && left + cost(l - 1) <= context && used + cost(l - 1) <= budget;
      const canRight = r < n && right + cost(r) <= context && used + cost(r) <= budget;
      if (canLeft && (!canRight || left <= right)) {
        l--;
        left += cost(l);
        used += cost(l);
      } else if (canRight) {
        used += cost(r);
        right += cost(r);
        r++;
      } else break;
    }
    windows.push({ first: l, end: r, coreFirst: a, coreEnd: b, tokens: used + 1 });
    a = b;
  }
  return windows;
}

/**
 * How much a reading of sentence `i` in `window` counts when merging: 1 + the context it had on its shorter
 * side, in tokens. A side where the window reaches the document's edge counts as complete. A sentence at a
 * window's inner edge counts little, one in the middle counts most.
 */
export function contextWeight(lengths: readonly number[], window: Window, i: number, maxTokens: number): number {
  const cost = (k: number) => Math.min(lengths[k]!, maxTokens - 2) + 1;
  let left = Infinity;
  if (window.first > 0) {
    left = 0;
    for (let k = window.first; k < i; k++) left += cost(k);
  }
  let right = Infinity;
  if (window.end < lengths.length) {
    right = 0;
    for (let k = i + 1; k < window.end; k++) right += cost(k);
  }
  return 1 + Math.min(left, right, maxTokens);
}
