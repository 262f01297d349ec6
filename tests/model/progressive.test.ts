// scoreProgressive: the same scores as score(), handed out window by window, the on-screen part first.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressiveDetector, ProgressUpdate, ProgressiveOptions } from '../../model/index.ts';
import { loadNodeDetector } from '../../model/node.ts';

const FIXTURE = path.resolve('tests/fixtures/models/tiny');
const TEXT = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} starts here. It has a second sentence with more words in it. And a third.`).join('\n\n');

async function collect(d: ProgressiveDetector, text: string, options?: ProgressiveOptions): Promise<ProgressUpdate[]> {
  const out: ProgressUpdate[] = [];
  for await (const u of d.scoreProgressive(text, options)) out.push(u);
  return out;
}

describe.each(['q8', 'fp32'] as const)('scoreProgressive (fixture model, %s, 48-token windows)', (dtype) => {
  let d: ProgressiveDetector;
  beforeAll(async () => {
    d = await loadNodeDetector({ model: FIXTURE, dtype, device: 'cpu', tuning: { maxTokens: 48 } });
  });
  afterAll(async () => {
    await d?.dispose();
  });

  it('yields every sentence once, each with its final score, and ends with the result score() gives', async () => {
    const updates = await collect(d, TEXT, { threshold: 0.3 });
    const whole = await d.score(TEXT, { threshold: 0.3 });
    expect(updates.length).toBeGreaterThan(2);
    const last = updates[updates.length - 1]!;
    expect(last.result).toEqual(whole);
    expect(updates.slice(0, -1).every((u) => u.result === undefined)).toBe(true);
    const seen = updates.flatMap((u) => u.sentences);
    expect(seen.map((s) => s.index).sort((a, b) => a - b)).toEqual(whole.sentences.map((s) => s.index));
    for (const s of seen) expect(s).toEqual(whole.sentences[s.index]);
    const done = updates.map((u) => u.windowsDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(last.windowsDone).toBe(last.windows);
  });

  it('reads the priority characters first: the first update holds them, the far end of the text comes later', async () => {
    const at = TEXT.indexOf('Paragraph 8 starts');
    const updates = await collect(d, TEXT, { priority: { start: at, end: at + 60 } });
    const first = updates[0]!;
    expect(first.windowsDone).toBeLessThan(first.windows);
    expect(first.sentences.some((s) => s.text === 'Paragraph 8 starts here.')).toBe(true);
    const order = updates.flatMap((u) => u.sentences.map((s) => s.index));
    // sentence 0 (far above the priority) comes after the ones on screen
    expect(order.indexOf(0)).toBeGreaterThan(order.indexOf(24));
    expect(updates[updates.length - 1]!.result).toEqual(await d.score(TEXT));
  });

  it('hands skipped sentences out with the first update, and evidence with the result', async () => {
    const text = `東京は日本の首都です。毎日たくさんの人が電車で通勤しています。\n\n${TEXT}`;
    const updates = await collect(d, text, { threshold: 0, evidence: true });
    expect(updates[0]!.sentences.filter((s) => s.score === null).map((s) => s.index)).toEqual([0, 1]);
    const result = updates[updates.length - 1]!.result!;
    expect(result).toEqual(await d.score(text, { threshold: 0, evidence: true }));
    expect(result.sentences.filter((s) => s.score !== null).every((s) => Array.isArray(s.evidence))).toBe(true);
  });

  it('an empty or wholly unreadable text still ends with a result', async () => {
    for (const text of ['', '🙂🙂']) {
      const updates = await collect(d, text);
      expect(updates).toHaveLength(1);
      expect(updates[0]!.result).toEqual(await d.score(text));
    }
  });
});
