// What the model cannot read (model/readable.ts): the rules, on texts of each kind, with a real tokenizer's ids.
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { segment } from '../../model/segment.ts';
import { skipReason, skipReasons, skipReasonText } from '../../model/readable.ts';

const FIXTURE = path.resolve('tests/fixtures/models/tiny');
let encode: (s: string) => number[];
let unk: number;

beforeAll(async () => {
  env.allowRemoteModels = false;
  const tok = await AutoTokenizer.from_pretrained(FIXTURE);
  encode = (s) => tok.encode(s, { add_special_tokens: false });
  unk = tok.unk_token_id!;
});

const why = (s: string) => skipReason(s, encode(s), unk);

describe('skipReason', () => {
  it.each([
    ['这是一篇关于城市发展的文章，作者讨论了交通问题。', 'language'],
    ['Это статья о развитии города и транспортных проблемах.', 'language'],
    ['Αυτό είναι ένα άρθρο για την ανάπτυξη της πόλης.', 'language'],
    ['東京は日本の首都です。', 'language'],
    ['🙂🙂🎉', 'no-letters'],
    ['2019–2020: 3.5%', 'no-letters'],
    ['* * *', 'no-letters'],
  ])('%s → %s', (text, reason) => {
    expect(why(text)).toBe(reason);
  });

  it('reads English, names with accents, and an English sentence quoting a few foreign words', () => {
    for (const s of [
      'The committee approved the budget after a long meeting on Tuesday.',
      'Zoë flew to Kraków and then to Reykjavík last summer.',
      'The word 東京 means eastern capital in Japanese.',
      'Great job 🎉!',
    ]) {
      expect(why(s), s).toBeNull();
    }
  });

  it('refuses a sentence whose tokens are mostly [UNK]', () => {
    const ids = [unk, unk, encode('the')[0]!];
    expect(skipReason('Zzz qqq the', ids, unk)).toBe('unknown-words');
    expect(skipReason('Zzz qqq the', ids, undefined)).toBeNull(); // a vocabulary without [UNK]: the rule cannot apply
  });
});

describe('skipReasons', () => {
  const reasons = (text: string) => {
    const segs = segment(text);
    return skipReasons(segs, segs.map((s) => encode(s.text)), unk);
  };

  it('marks a paragraph of another Latin-script language, not the English ones around it', () => {
    const text = [
      'The mayor closed the road because it had snowed all night. Many residents were angry about it.',
      'Les élèves ont été très contents de leur journée à la plage. Le professeur a expliqué l’histoire de la ville et ses monuments. Ensuite, ils ont mangé ensemble dans un petit restaurant.',
      'The next day the road was opened again, and the residents were pleased with the decision.',
    ].join('\n\n');
    expect(reasons(text)).toEqual([null, null, 'language', 'language', 'language', null]);
  });

  it('leaves short English paragraphs (headlines, list items) alone', () => {
    expect(reasons('Roast Beef Combo\n\nBaked Ham\n\nRoast Turkey with Cranberry Sauce')).toEqual([null, null, null]);
  });

  it('has words for every reason', () => {
    expect(skipReasonText('language')).toBe('not English — not checked');
    for (const r of ['unknown-words', 'no-letters', 'too-short'] as const) expect(skipReasonText(r).length).toBeGreaterThan(10);
  });
});
