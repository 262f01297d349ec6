// The committed models on a text none of them was trained on: an informal trip report (written for this test)
// with two sentences in LLM style inserted at positions 2 and 5. A shipped model must rank those two above
// every human sentence; the scores themselves, and whether they cross a threshold, are reported in the README.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { bundledModels, loadNodeDetector } from '../../model/node.ts';
import { describeIfAvailable } from '../helpers/requires.ts';

const TEXT = readFileSync('tests/fixtures/trip-report.txt', 'utf8');
const INSERTED = [2, 5];

for (const m of bundledModels()) {
  describeIfAvailable(`shipped model ${m.alias}`, m.available, `the shipped weights (model/weights/${m.name}/config.json: committed, check out the whole repository)`, () => {
    it('ranks the inserted LLM-style sentences above every human sentence', async () => {
      const detector = await loadNodeDetector({ model: m.alias, dtype: 'q8', device: 'cpu' });
      try {
        const r = await detector.score(TEXT);
        expect(r.sentences).toHaveLength(8);
        expect(r.sentences[2]!.text).toMatch(/^Nevertheless/);
        expect(r.sentences[5]!.text).toMatch(/^Furthermore/);
        const human = r.sentences.filter((s) => !INSERTED.includes(s.index)).map((s) => s.score!);
        for (const i of INSERTED) expect(r.sentences[i]!.score).toBeGreaterThan(Math.max(...human));
      } finally {
        await detector.dispose();
      }
    });
  });
}
