import { describe, expect, it } from 'vitest';
import { alignSentences, groupKind, similarity } from '../../dataset/align.ts';
import { mulberry32 } from '../../dataset/random.ts';
import { lightEdit, MAX_SPLICE, pickRuns, spanRewrite, splice, spliceRuns } from '../../dataset/splice.ts';

const kinds = (o: string[], r: string[]) => alignSentences(o, r).map(groupKind);

describe('sentence alignment', () => {
  const original = [
    'The river rose quickly after three days of rain.',
    'Farmers moved their cattle to the hills.',
    'The old bridge was closed by the police.',
    'Schools in the valley stayed shut for a week.',
  ];

  it('pairs reworded sentences 1:1 and keeps order', () => {
    const rewrite = [
      'After three days of rain the river rose fast.',
      'Farmers herded their cattle up to the hills.',
      'Police closed the old bridge.',
      'Valley schools remained shut for a whole week.',
    ];
    const groups = alignSentences(original, rewrite);
    expect(groups.map(groupKind)).toEqual(['1:1', '1:1', '1:1', '1:1']);
    expect(groups.map((g) => [g.origStart, g.rewStart])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]]);
    expect(groups[0]!.similarity).toBeGreaterThan(0.8);
  });

  it('finds a split (1:2) and a merge (2:1)', () => {
    const rewrite = [
      'The river rose quickly.',
      'It had rained for three days.',
      'Farmers moved their cattle to the hills and the police closed the old bridge.',
      'Schools in the valley stayed shut for a week.',
    ];
    expect(kinds(original, rewrite)).toEqual(['1:2', '2:1', '1:1']);
  });

  it('leaves a dropped original (1:0) and an added sentence (0:1) unaligned', () => {
    const dropped = [original[0]!, original[2]!, original[3]!];
    expect(kinds(original, dropped)).toEqual(['1:1', '1:0', '1:1', '1:1']);
    const added = [original[0]!, original[1]!, 'Nobody had expected such weather in June.', original[2]!, original[3]!];
    expect(kinds(original, added)).toEqual(['1:1', '1:1', '0:1', '1:1', '1:1']);
  });

  it('merges a dropped and an added sentence between aligned ones into one rewritten group', () => {
    const rewrite = [original[0]!, 'Herds were driven upland by anxious growers.', original[2]!, original[3]!];
    const groups = alignSentences(original, rewrite);
    expect(groups.map(groupKind)).toEqual(['1:1', '1:1', '1:1', '1:1']);
    expect(groups[1]!.similarity).toBeLessThan(0.2);
  });

  it('scores lexical similarity as unigram F1 over lower-cased words', () => {
    expect(similarity('A b c d', 'a B c d')).toBe(1);
    expect(similarity('a b c d', 'a b x y')).toBe(0.5);
    expect(similarity('', 'a')).toBe(0);
  });
});

describe('PASTED splicing', () => {
  const original = ['S one is here.', 'S two is here.', 'S three is here.', 'S four is here.', 'S five is here.'];
  const rewrite = ['S one is here.', 'Here is S two now.', 'S three is here.', 'Here is S four now.', 'S five is here.'];
  const groups = alignSentences(original, rewrite);

  it('offers only runs that start and end on a change and keep a human sentence', () => {
    const runs = spliceRuns(original, rewrite, groups);
    // Changed groups are 1 and 3: runs [1], [3], [1..3].
    expect(runs.map((r) => [r.first, r.last, r.length])).toEqual([[1, 1, 1], [1, 3, 3], [3, 3, 1]]);
  });

  it('replaces the run by its aligned rewrite sentences, labelled 1, with lexical change', () => {
    const out = splice(original, rewrite, groups, { first: 1, last: 3, length: 3 });
    expect(out.map((s) => s.text)).toEqual(['S one is here.', 'Here is S two now.', 'S three is here.', 'Here is S four now.', 'S five is here.']);
    expect(out.map((s) => s.label)).toEqual([0, 1, 1, 1, 0]);
    expect(out[0]!.lexical).toBe(0);
    expect(out[1]!.lexical).toBeGreaterThan(0.5);
    // An unchanged sentence inside the span is part of it (label 1) but has no lexical change.
    expect(out[2]!.lexical).toBe(0);
  });

  it('caps runs at 10 original sentences and picks distinct runs deterministically', () => {
    const long = Array.from({ length: 14 }, (_, i) => `Line number ${i} says something plain.`);
    const changed = long.map((s) => s.replace('says something plain', 'states a simple thing'));
    const g = alignSentences(long, changed);
    const runs = spliceRuns(long, changed, g);
    expect(Math.max(...runs.map((r) => r.length))).toBe(MAX_SPLICE);
    const a = pickRuns(runs, 3, mulberry32(5));
    const b = pickRuns(runs, 3, mulberry32(5));
    expect(a).toEqual(b);
    expect(new Set(a.map((r) => `${r.first}-${r.last}`)).size).toBe(3);
  });

  it('never replaces every sentence of a multi-sentence document', () => {
    const o = ['Alpha beta gamma.', 'Delta epsilon zeta.'];
    const r = ['Alpha beta gamma indeed.', 'Delta epsilon zeta indeed.'];
    for (const run of spliceRuns(o, r, alignSentences(o, r))) expect(run.length).toBe(1);
  });
});

describe('light edits', () => {
  it('labels exactly the changed sentences', () => {
    const o = ['I went home early.', 'the dog was hungry.', 'We ate at six.'];
    const r = ['I went home early.', 'The dog was hungry.', 'We ate at six.'];
    const out = lightEdit(o, r, alignSentences(o, r));
    expect(out.map((s) => s.label)).toEqual([0, 1, 0]);
    expect(out[1]!.lexical).toBeGreaterThan(0);
    expect(out[0]!.lexical).toBe(0);
  });

  it('keeps a word-for-word sentence human inside a split', () => {
    const o = ['It rained, and we stayed in.', 'Tea was served.'];
    const r = ['It rained heavily.', 'We stayed in.', 'Tea was served.'];
    const groups = alignSentences(o, r);
    expect(groups.map(groupKind)).toEqual(['1:2', '1:1']);
    expect(lightEdit(o, r, groups).map((s) => s.label)).toEqual([1, 1, 0]);
  });
});

describe('span rewrites', () => {
  it('labels every sentence of each rewrite 1, the rest 0', () => {
    const sentences = ['First line.', 'Second line.', 'Third line.', 'Fourth line.', 'Fifth line.'];
    const out = spanRewrite(sentences, [[3, 4], [0, 2]], [['The fourth one.'], ['The first line.', 'Then a second line.', 'And more.']]);
    expect(out.map((s) => s.text)).toEqual([
      'The first line.',
      'Then a second line.',
      'And more.',
      'Third line.',
      'The fourth one.',
      'Fifth line.',
    ]);
    expect(out.map((s) => s.label)).toEqual([1, 1, 1, 0, 1, 0]);
    expect(out[3]!.lexical).toBe(0);
    expect(out.filter((s) => s.label === 1).every((s) => s.lexical > 0)).toBe(true);
  });
});
