import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, readPasted, RecordError, splitSentences, writeJsonLines } from '../../dataset/records.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ptd-records-'));
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const good = [
  { id: 'a', text: 'One sentence. </s> Two sentence. </s> Three.', label: [0, 1, 1], lexical: [0, 0.4, 0.9], paraphraser: 'x' },
  { id: 'b', text: 'Only one here.', label: [0] },
];

describe('reading PASTED records', () => {
  it('reads JSON lines and a JSON array alike', async () => {
    const jsonl = await file('good.jsonl', `${good.map((r) => JSON.stringify(r)).join('\n')}\n\n`);
    const array = await file('good.json', JSON.stringify(good, null, 2));
    for (const path of [jsonl, array]) {
      const { records, skipped } = await readPasted(path);
      expect(skipped).toEqual([]);
      expect(records).toHaveLength(2);
      expect(records[0]).toMatchObject({
        id: 'a',
        sentences: ['One sentence.', 'Two sentence.', 'Three.'],
        label: [0, 1, 1],
        truth: [0, 1, 1],
        lexical: [0, 0.4, 0.9],
      });
      expect(records[0]!.fields.paraphraser).toBe('x');
      expect(records[1]!.sentences).toEqual(['Only one here.']);
    }
  });

  it('loads the shapes of real PASTED exports as they are', async () => {
    const rows = [
      // classification config: index/src/is_para columns, numeric index as id-less row
      { index: 17, text: 'A b c. </s> D e f.', label: [0, 1], src: 'xsum', is_para: 1 },
      // regression-bleu4: float labels, ≈0 for human sentences
      { text: 'A b c. </s> D e f. </s> G h.', label: [0.0, 0.62, 0.0] },
      // multi-dimension: three values per sentence, flat or nested
      { text: 'A. </s> B.', label: [0, 0, 0, 0.5, 0.3, 0.1] },
      { text: 'A. </s> B.', label: [[0, 0, 0], [0.5, 0.3, 0.1]] },
      // gold test file with lexical and syntactic lists
      { text: 'A. </s> B.', label: [0, 1], lexical: [0, 0.7], syntactic: [0, 0.4] },
    ];
    const path = await file('pasted.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    const { records } = await readPasted(path);
    expect(records.map((r) => r.truth)).toEqual([[0, 1], [0, 1, 0], [0, 1], [0, 1], [0, 1]]);
    expect(records[0]!.id).toBeUndefined();
    expect(records[0]!.fields.src).toBe('xsum');
    expect(records[2]!.lexical).toEqual([0, 0.5]);
    expect(records[2]!.syntactic).toEqual([0, 0.3]);
    expect(records[3]!.label).toEqual([0, 0.5]);
    expect(records[4]!.syntactic).toEqual([0, 0.4]);
  });

  it('splits on </s> with or without spaces and ignores a closing separator', () => {
    expect(splitSentences('A.</s>B. </s>  C.')).toEqual(['A.', 'B.', 'C.']);
    expect(splitSentences('A. </s> B. </s>')).toEqual(['A.', 'B.']);
  });

  it('reports invalid JSON with file and line', async () => {
    const path = await file('badjson.jsonl', `${JSON.stringify(good[0])}\n{"text": "x", "label": [0]\n`);
    await expect(readPasted(path)).rejects.toThrow(RecordError);
    await expect(readPasted(path)).rejects.toThrow(/badjson\.jsonl:2: invalid JSON/);
  });

  it('reports a label count that does not match the sentences, and non-numeric labels', async () => {
    const mismatch = await file('count.jsonl', `${JSON.stringify(good[1])}\n${JSON.stringify({ text: 'A. </s> B.', label: [1] })}\n`);
    await expect(readPasted(mismatch)).rejects.toThrow(/count\.jsonl:2: "label" has 1 values for 2 sentences/);
    const nonNumeric = await file('nan.jsonl', JSON.stringify({ text: 'A. </s> B.', label: [0, 'yes'] }));
    await expect(readPasted(nonNumeric)).rejects.toThrow(/nan\.jsonl:1: "label"\[1\] is not a number \("yes"\)/);
    const noText = await file('notext.json', JSON.stringify([good[0], { label: [0] }]));
    // In a JSON array, the position of the record is named.
    await expect(readPasted(noText)).rejects.toThrow(/notext\.json: record 2: missing or non-string "text"/);
    const badLexical = await file('lex.jsonl', JSON.stringify({ text: 'A. </s> B.', label: [0, 1], lexical: [0] }));
    await expect(readPasted(badLexical)).rejects.toThrow(/"lexical" has 1 values for 2 sentences/);
  });

  it('names a missing file', async () => {
    await expect(readPasted(join(dir, 'nope.jsonl'))).rejects.toThrow(/nope\.jsonl: no such file/);
  });

  it('skips and counts invalid records with skipInvalid', async () => {
    const path = await file(
      'mixed.jsonl',
      [JSON.stringify(good[0]), '{broken', JSON.stringify({ text: 'A.', label: [0, 1] }), JSON.stringify(good[1])].join('\n'),
    );
    const { records, skipped } = await readPasted(path, { skipInvalid: true });
    expect(records.map((r) => r.id)).toEqual(['a', 'b']);
    expect(skipped.map((s) => s.line)).toEqual([2, 3]);
    expect(skipped[1]!.reason).toMatch(/1 sentences/);
  });

  it('rejects non-object records', () => {
    expect(parseRecord([1, 2], 0, 1)).toBe('record is not a JSON object');
    expect(parseRecord({ text: 'A.', label: 1 }, 0, 1)).toBe('"label" is not a list');
  });
});

describe('writing JSON lines', () => {
  it('writes atomically and leaves no temporary file', async () => {
    const out = join(dir, 'out', 'rows.jsonl');
    const n = await writeJsonLines(out, [{ a: 1 }, { b: 'x' }]);
    expect(n).toBe(2);
    expect(await readFile(out, 'utf8')).toBe('{"a":1}\n{"b":"x"}\n');
    expect(await readdir(join(dir, 'out'))).toEqual(['rows.jsonl']);
  });
});
