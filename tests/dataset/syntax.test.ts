import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ptd } from '../helpers/ptd.ts';
import { itIfAvailable, onPath } from '../helpers/requires.ts';
import { changeProfiles } from '../../dataset/change.ts';
import { evaluate } from '../../dataset/evaluate.ts';
import { changeSvg } from '../../dataset/report.ts';
import { pearson } from '../../dataset/metrics.ts';
import { parseRecord, type ParsedRecord } from '../../dataset/records.ts';
import { LinkParserMissing, MAX_PARSE_WORDS, parserInput, parseSentences, readAnswers } from '../../dataset/syntax/link-parser.ts';
import {
  cutAtDepth,
  formatTree,
  parseBracketed,
  syntacticChange,
  treeEditDistance,
  treeSize,
  type PhraseTree,
} from '../../dataset/syntax/tree.ts';

const tree = (s: string): PhraseTree => {
  const t = parseBracketed(s);
  if (!t) throw new Error(`bad tree in test: ${s}`);
  return t;
};

describe('phrase trees', () => {
  it('reads link-parser brackets as phrase labels, words dropped', () => {
    const t = tree('(S (NP the dog.n) (VP ran.v-d (NP home.n-u)) .)');
    expect(formatTree(t)).toBe('(S (NP) (VP (NP)))');
    expect(treeSize(t)).toBe(4);
    for (const bad of ['', 'S', '(S (NP the dog)', '(S) (NP)', '(S ())', ')(']) expect(parseBracketed(bad)).toBeNull();
  });

  it('cuts a tree at a depth below its root', () => {
    const t = tree('(S (NP) (VP (NP (PP (NP)))))');
    expect(formatTree(cutAtDepth(t, 0))).toBe('(S)');
    expect(formatTree(cutAtDepth(t, 2))).toBe('(S (NP) (VP (NP)))');
    expect(formatTree(cutAtDepth(t, 3))).toBe('(S (NP) (VP (NP (PP))))');
  });
});

describe('tree edit distance (Zhang–Shasha, unit costs)', () => {
  it('gives the textbook distances', () => {
    // Zhang & Shasha's example: f(d(a c(b)) e) → f(c(d(a b)) e) takes two edits (delete c, insert c above d).
    const a = tree('(f (d (a) (c (b))) (e))');
    const b = tree('(f (c (d (a) (b))) (e))');
    expect(treeEditDistance(a, b)).toBe(2);
    expect(treeEditDistance(b, a)).toBe(2);
    expect(treeEditDistance(a, a)).toBe(0);
    expect(treeEditDistance(tree('(S (NP) (VP))'), tree('(S (NP) (ADJP))'))).toBe(1); // relabel
    expect(treeEditDistance(tree('(S (NP) (VP))'), tree('(S (NP) (VP) (PP))'))).toBe(1); // insert
    expect(treeEditDistance(tree('(S (NP (PP)) (VP))'), tree('(S (NP) (VP))'))).toBe(1); // delete
    // One node against n nodes: keep or relabel the root, insert the rest.
    expect(treeEditDistance(tree('(X)'), a)).toBe(treeSize(a));
    expect(treeEditDistance(tree('(f)'), a)).toBe(treeSize(a) - 1);
  });

  it('syntactic change is 0 for the same structure, grows with the change, and stays in [0, 1]', () => {
    const original = [tree('(S (NP) (VP (NP)))')];
    expect(syntacticChange([tree('(S (NP) (VP (NP)))')], original)).toBe(0);
    const small = syntacticChange([tree('(S (NP) (VP (NP) (PP)))')], original);
    const large = syntacticChange([tree('(S (PP (NP)) (, ) (S (NP) (VP (ADJP) (SBAR))))')], original);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
    expect(large).toBeLessThanOrEqual(1);
    // Deeper than three levels below ROOT does not count: ROOT → S → VP → NP is the last level kept.
    expect(syntacticChange([tree('(S (NP) (VP (NP (PP (NP)))))')], original)).toBe(0);
    // A merge: one paraphrase sentence against two originals under one ROOT.
    const merged = syntacticChange([tree('(S (NP) (VP))')], [tree('(S (NP) (VP))'), tree('(S (NP) (VP))')]);
    expect(merged).toBeCloseTo(3 / 7, 10);
  });
});

describe('link-parser input and output', () => {
  it('never sends a command, a comment, an empty line or an over-long sentence', () => {
    expect(parserInput('  !help   me\tnow ')).toBe('help me now');
    expect(parserInput('% not a comment')).toBe('not a comment');
    expect(parserInput(' \n ')).toBeNull();
    expect(parserInput(Array.from({ length: MAX_PARSE_WORDS + 1 }, () => 'word').join(' '))).toBeNull();
    expect(parserInput(Array.from({ length: MAX_PARSE_WORDS }, () => 'word').join(' '))).not.toBeNull();
  });

  it('matches each tree to its echoed sentence, also when one gets no tree', () => {
    const output = [
      'verbosity set to 0',
      'echo set to 1',
      'A dog ran.',
      '(S (NP a dog.n) (VP ran.v-d) .)',
      '',
      '(Odd) line here.',
      'Two cats.',
      '(NP two cats.n)',
      '',
      'Bye.',
    ].join('\n');
    expect(readAnswers(output, ['A dog ran.', '(Odd) line here.', 'Two cats.'])).toEqual([
      '(S (NP a dog.n) (VP ran.v-d) .)',
      null,
      '(NP two cats.n)',
    ]);
  });
});

// The real parser (Debian's link-grammar, installed by .ci/run): where it is missing, the tests that run it skip,
// saying so (and fail under CI=true).
const LINK_PARSER = onPath('link-parser');
const NO_LINK_PARSER = 'link-parser on PATH (apt-get install link-grammar)';
describe('link-parser', { timeout: 60_000 }, () => {
  itIfAvailable('parses a batch in order, the same sentence twice, and skips what it cannot be given', LINK_PARSER, NO_LINK_PARSER, async () => {
    const long = Array.from({ length: MAX_PARSE_WORDS + 5 }, (_, i) => `word${i}`).join(' ');
    const out = await parseSentences([
      'The dog ran home.',
      '',
      '!help us now.',
      long,
      'However, the results indicate that further research is necessary.',
      'The dog ran home.',
    ]);
    expect(out).toHaveLength(6);
    expect(out[1]).toBeNull();
    expect(out[3]).toBeNull();
    expect(formatTree(parseBracketed(out[0]!)!)).toBe('(S (NP) (VP (NP)))');
    expect(out[5]).toBe(out[0]);
    expect(parseBracketed(out[2]!)).not.toBeNull();
    expect(formatTree(cutAtDepth(parseBracketed(out[4]!)!, 1))).toBe('(S (PP) (S))');
  });

  it('says how to install it when it is missing', async () => {
    await expect(parseSentences(['A dog ran.'], { command: 'no-such-link-parser' })).rejects.toThrow(LinkParserMissing);
    await expect(parseSentences(['A dog ran.'], { command: 'no-such-link-parser' })).rejects.toThrow(/apt-get install link-grammar/);
  });
});

describe('the syntactic column in evaluation', () => {
  it('correlates scores with the sentences that have a value, leaving out nulls', () => {
    const raw = [
      { id: 'a', text: 'A. </s> B. </s> C.', label: [0, 1, 1], syntactic: [0, 0.5, null] },
      { id: 'b', text: 'D. </s> E.', label: [1, 0], syntactic: [0.2, 0] },
    ];
    const records = raw.map((r, i) => parseRecord(r, i, i + 1) as ParsedRecord);
    const scores = [[0.1, 0.7, 0.9], [0.4, 0.3]];
    const m = evaluate(records, scores);
    expect(m.pearson_syntactic).toBeCloseTo(pearson([0.1, 0.7, 0.4, 0.3], [0, 0.5, 0.2, 0])!, 6);
    expect(parseRecord({ text: 'A. </s> B.', label: [0, 1], syntactic: [0, 'x'] }, 0, 3)).toBe(
      '"syntactic"[1] is neither a number nor null ("x")',
    );
  });
  it('profiles the mean score of paraphrased sentences per bin of change, for the report', () => {
    const raw = [
      { text: 'A. </s> B. </s> C. </s> D.', label: [0, 1, 1, 1], lexical: [0, 0.1, 0.95, 1], syntactic: [0, 0.5, null, 0.1] },
      { text: 'E. </s> F.', label: [1, 0], lexical: [0.15, 0] },
    ];
    const records = raw.map((r, i) => parseRecord(r, i, i + 1) as ParsedRecord);
    const scores = [[0.1, 0.2, 0.8, 0.9], [0.4, 0.3]];
    const [lexical, syntactic] = changeProfiles(records, scores);
    expect(lexical!.signal).toBe('lexical');
    // Bin [0, 0.2): 0.2 and 0.4; the last bin [0.8, 1] holds 0.95 and 1.0; human sentences are not binned.
    expect(lexical!.bins.map((b) => b.sentences)).toEqual([2, 0, 0, 0, 2]);
    expect(lexical!.bins[0]!.mean).toBeCloseTo(0.3, 10);
    expect(lexical!.bins[4]!.mean).toBeCloseTo(0.85, 10);
    expect(syntactic!.bins.map((b) => b.sentences)).toEqual([1, 0, 1, 0, 0]);
    const svg = changeSvg([lexical!, syntactic!], 0.2);
    expect(svg).toContain('lexical change');
    expect(svg).toContain('syntactic change');
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(changeProfiles([records[1]!].map((r) => ({ ...r, lexical: undefined })), [scores[1]!])).toEqual([]);
  });
});

const CORPUS = 'tests/fixtures/dataset/corpus';

describe('ptd dataset build --syntactic', { timeout: 180_000 }, () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'ptd-syntax-'));
  });

  itIfAvailable('adds the column to the splits asked for, and a rerun reads the trees from its cache', LINK_PARSER, NO_LINK_PARSER, async () => {
    // Seed 13 puts every fixture document in train.
    const first = await ptd('dataset', 'build', '--corpus', CORPUS, '--out', out, '--seed', '13', '--syntactic', 'train');
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/syntactic change measured for (\d+) of \1 paraphrased sentences .*; (\d+) sentences parsed/);
    const parsed = Number(/(\d+) sentences parsed/.exec(first.stderr)![1]);
    expect(parsed).toBeGreaterThan(0);
    const records = (await readFile(join(out, 'train.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; label: number[]; lexical: number[]; syntactic: number[] });
    const syntactic = records.flatMap((r) => r.syntactic.filter((_, i) => r.label[i] === 1));
    for (const r of records) {
      expect(r.syntactic).toHaveLength(r.label.length);
      r.label.forEach((l, i) => (l === 0 ? expect(r.syntactic[i]).toBe(0) : expect(r.syntactic[i]).toBeGreaterThanOrEqual(0)));
    }
    expect(Math.max(...syntactic)).toBeLessThanOrEqual(1);
    // The fixture's rewrites restructure some sentences and keep the shape of others.
    expect(syntactic.some((v) => v > 0.2)).toBe(true);
    expect(syntactic.some((v) => v === 0)).toBe(true);
    const stats = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8'));
    expect(stats.splits.train.syntactic_measured).toBe(syntactic.length);
    expect(stats.splits.train.mean_syntactic).toBeCloseTo(syntactic.reduce((a, b) => a + b, 0) / syntactic.length, 3);

    const before = await readFile(join(out, 'train.jsonl'), 'utf8');
    const again = await ptd('dataset', 'build', '--corpus', CORPUS, '--out', out, '--seed', '13', '--syntactic', 'train');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/ 0 sentences parsed, the rest from syntax-cache\.jsonl/);
    expect(await readFile(join(out, 'train.jsonl'), 'utf8')).toBe(before);
  });

  it('says how to install link-parser before it builds anything, when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ptd-syntax-none-'));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['bin/ptd.js', 'dataset', 'build', '--corpus', CORPUS, '--out', join(dir, 'out'), '--syntactic', 'train'],
        { env: { ...process.env, PATH: '/nonexistent' } }, (err, _stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"link-parser" was not found \(apt-get install link-grammar\)/);
    expect(r.stderr).not.toMatch(/reading corpus/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses an unknown split by name', async () => {
    const r = await ptd('dataset', 'build', '--corpus', CORPUS, '--out', out, '--syntactic', 'train,dev');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--syntactic takes "all" or splits separated by commas .* got "train,dev"/);
  });

  itIfAvailable('a cache line cut short by an interruption is parsed again, not trusted', LINK_PARSER, NO_LINK_PARSER, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ptd-syntax-cut-'));
    await writeFile(join(dir, 'syntax-cache.jsonl'), '{"s":"He trimmed the wick and polished the lens until it shone.","t":"(S (N');
    const r = await ptd('dataset', 'build', '--corpus', CORPUS, '--out', dir, '--seed', '13', '--syntactic', 'train');
    expect(r.code).toBe(0);
    const cache = await readFile(join(dir, 'syntax-cache.jsonl'), 'utf8');
    expect(cache).toContain('{"s":"He trimmed the wick and polished the lens until it shone.","t":"(S (NP) (VP');
  });
});
