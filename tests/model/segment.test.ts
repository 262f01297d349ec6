import { describe, expect, it } from 'vitest';
import { countWords, segment, segmentsFromSentences } from '../../model/index.ts';

// [description, input, expected sentences]
const table: Array<[string, string, string[]]> = [
  ['empty text', '', []],
  ['white space only', '  \n\n \t ', []],
  ['one sentence, no final punctuation', 'no final punctuation here', ['no final punctuation here']],
  ['two plain sentences', 'The cat sat. The dog ran.', ['The cat sat.', 'The dog ran.']],
  ['question and exclamation', 'Is it? Yes! It is.', ['Is it?', 'Yes!', 'It is.']],
  ['interrobang runs', 'Really?! I never knew. OK', ['Really?!', 'I never knew.', 'OK']],
  ['titles', 'Mr. Smith met Dr. Jones and Mrs. Brown. They talked.', ['Mr. Smith met Dr. Jones and Mrs. Brown.', 'They talked.']],
  ['more titles', 'Prof. Lee and St. Peter met Gen. Patton. Fine.', ['Prof. Lee and St. Peter met Gen. Patton.', 'Fine.']],
  ['e.g. and i.e.', 'Use fruit, e.g. apples, i.e. food. Then stop.', ['Use fruit, e.g. apples, i.e. food.', 'Then stop.']],
  ['E.g. at the start', 'E.g. This works. Yes.', ['E.g. This works.', 'Yes.']],
  ['etc. mid sentence', 'Apples, pears, etc. are fruit. Good.', ['Apples, pears, etc. are fruit.', 'Good.']],
  ['etc. at the end', 'Apples, pears, etc. They are fruit.', ['Apples, pears, etc.', 'They are fruit.']],
  ['U.S. at the end', 'I live in the U.S. The weather is fine.', ['I live in the U.S.', 'The weather is fine.']],
  ['U.S. mid sentence', 'The U.S. Army is big. Yes.', ['The U.S. Army is big.', 'Yes.']],
  ['U.K. before a name', 'The U.K. Parliament met. It voted.', ['The U.K. Parliament met.', 'It voted.']],
  ['initials', 'J. K. Rowling wrote it. John F. Kennedy spoke.', ['J. K. Rowling wrote it.', 'John F. Kennedy spoke.']],
  ['initials that look like openers', 'Trooper J. A. Grzesiak spotted it. When Dr. W. A. Swim came, U.S. Dist. Judge Powell left.', ['Trooper J. A. Grzesiak spotted it.', 'When Dr. W. A. Swim came, U.S. Dist. Judge Powell left.']],
  ['inline enumeration', 'Ask: 1. Does it work?? 2. Does it scale? Fine. 3. Done.', ['Ask: 1. Does it work??', '2. Does it scale?', 'Fine.', '3. Done.']],
  ['single letter ending a sentence', 'Take vitamin C. The doctor said so.', ['Take vitamin C.', 'The doctor said so.']],
  ['a.m. / p.m.', 'We met at 9 a.m. on Monday. It ended at 5 p.m. The end.', ['We met at 9 a.m. on Monday.', 'It ended at 5 p.m.', 'The end.']],
  ['Ph.D.', 'She has a Ph.D. in physics. He does not.', ['She has a Ph.D. in physics.', 'He does not.']],
  ['et al.', 'Smith et al. showed this. It holds.', ['Smith et al. showed this.', 'It holds.']],
  ['figure and number references', 'See Fig. 3 and No. 5 on p. 12. Done.', ['See Fig. 3 and No. 5 on p. 12.', 'Done.']],
  ['months', 'It opened on Jan. 5 in Washington. Crowds came.', ['It opened on Jan. 5 in Washington.', 'Crowds came.']],
  ['abbreviations before numbers end a sentence otherwise', 'The answer is No. We left in Jan. Then we came back.', ['The answer is No.', 'We left in Jan.', 'Then we came back.']],
  ['lower-case page and figure references', 'See p. 4 and fig. 2 of vol. 3 here. Ok.', ['See p. 4 and fig. 2 of vol. 3 here.', 'Ok.']],
  ['case names with v.', 'In Roe v. Wade the court ruled. It mattered.', ['In Roe v. Wade the court ruled.', 'It mattered.']],
  ['St. before a name', 'He lives on St. James Street. It is quiet.', ['He lives on St. James Street.', 'It is quiet.']],
  ['lower-case words that look like abbreviations', 'I sat. A work of art. I said no. Fine.', ['I sat.', 'A work of art.', 'I said no.', 'Fine.']],
  ['decimals and prices', 'Pi is 3.14 or so. It costs $3.50. Cheap.', ['Pi is 3.14 or so.', 'It costs $3.50.', 'Cheap.']],
  ['version numbers and years', 'Version 2.0. In 1999. Then 2.5.1 came.', ['Version 2.0.', 'In 1999.', 'Then 2.5.1 came.']],
  ['thousands separators', 'It made 1,234.56 dollars. Wow.', ['It made 1,234.56 dollars.', 'Wow.']],
  ['ellipsis then capital', 'Wait... What happened? Nothing.', ['Wait...', 'What happened?', 'Nothing.']],
  ['ellipsis then lower case', 'Well... maybe not. Sure.', ['Well... maybe not.', 'Sure.']],
  ['unicode ellipsis', 'Hmm… Fine. Go.', ['Hmm…', 'Fine.', 'Go.']],
  ['spaced ellipsis', 'pain, nausea ... When I went. Ok', ['pain, nausea ...', 'When I went.', 'Ok']],
  ['closing double quote', 'He said "Go home." Then he left.', ['He said "Go home."', 'Then he left.']],
  ['curly quotes', 'She wrote “It is over.” Nobody replied.', ['She wrote “It is over.”', 'Nobody replied.']],
  ['quote then lower case continues', '"Stop!" he cried. "Why?" she asked.', ['"Stop!" he cried.', '"Why?" she asked.']],
  ['single quotes', "He said 'no way.' Then he went.", ["He said 'no way.'", 'Then he went.']],
  ['closing bracket', 'It rained (as expected.) Then sun. (A whole aside.) Next.', ['It rained (as expected.)', 'Then sun.', '(A whole aside.)', 'Next.']],
  ['opening quote on the next sentence', 'He left. "Why?" she asked.', ['He left.', '"Why?" she asked.']],
  ['URL with dots and query', 'Visit https://example.com/a.b?x=1. Then go.', ['Visit https://example.com/a.b?x=1.', 'Then go.']],
  ['www address', 'See www.example.co.uk. It is live.', ['See www.example.co.uk.', 'It is live.']],
  ['e-mail address', 'Mail john.doe@example.org. Thanks.', ['Mail john.doe@example.org.', 'Thanks.']],
  ['URL ending in a dotted file', 'Get http://x.org/f.tar.gz now. Ok.', ['Get http://x.org/f.tar.gz now.', 'Ok.']],
  ['digit after a full stop', 'It was big. 42 people came.', ['It was big.', '42 people came.']],
  ['paragraph break without punctuation', 'First paragraph\n\nSecond paragraph', ['First paragraph', 'Second paragraph']],
  ['paragraph break after an abbreviation', 'We met Mr.\n\nSmith came later.', ['We met Mr.', 'Smith came later.']],
  ['paragraph break before lower case', 'It ends here\n\nand this is new.', ['It ends here', 'and this is new.']],
  ['CRLF paragraph break', 'One.\r\n\r\nTwo.', ['One.', 'Two.']],
  ['heading line', 'Introduction\nThe study begins here. It ends.', ['Introduction', 'The study begins here.', 'It ends.']],
  ['signature lines', 'Thanks\nJohn', ['Thanks', 'John']],
  ['line continues in lower case', 'The quick brown fox\njumps over the dog.', ['The quick brown fox\njumps over the dog.']],
  ['line ends with a comma', 'Dear John,\nThank you. Bye.', ['Dear John,\nThank you.', 'Bye.']],
  [
    'hard-wrapped prose',
    'This is a long hard-wrapped line of prose that goes on and on\nAnd it continues on the next line. Done.',
    ['This is a long hard-wrapped line of prose that goes on and on\nAnd it continues on the next line.', 'Done.'],
  ],
  ['abbreviation at a line break', 'I saw Dr.\nSmith today. Ok.', ['I saw Dr.\nSmith today.', 'Ok.']],
  ['bullet list', 'Buy:\n- milk\n- eggs\n* bread', ['Buy:', 'milk', 'eggs', 'bread']],
  ['numbered list', 'Steps\n1. Open it\n2. Close it.\n3) Done', ['Steps', 'Open it', 'Close it.', 'Done']],
  ['lettered list', '(a) first\nb) second', ['first', 'second']],
  ['list item with two sentences', '- It works. It is fast.\n- Next', ['It works.', 'It is fast.', 'Next']],
  ['markdown heading', '# Title\nBody text here.', ['Title', 'Body text here.']],
  ['leading and trailing white space', '   Hello there.   Bye.  ', ['Hello there.', 'Bye.']],
  ['CJK terminators', '你好。我很好！', ['你好。', '我很好！']],
  ['non-ASCII letters', 'Élodie est là. Ça va.', ['Élodie est là.', 'Ça va.']],
  ['full stop without a following space', 'end.Next word. Ok.', ['end.Next word.', 'Ok.']],
  ['email thread noise', 'Hi all. -----Original Message----- From: Bob', ['Hi all.', '-----Original Message----- From: Bob']],
];

describe('segment', () => {
  it.each(table)('%s', (_name, input, expected) => {
    const segs = segment(input);
    expect(segs.map((s) => s.text)).toEqual(expected);
    segs.forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(input.slice(s.start, s.end)).toBe(s.text);
      if (i > 0) expect(s.start).toBeGreaterThanOrEqual(segs[i - 1]!.end);
    });
  });

  it('flags the first sentence of each paragraph', () => {
    const segs = segment('One. Two.\n\nThree. Four.\n  \n- five\n- six');
    expect(segs.map((s) => [s.text, s.paragraphStart])).toEqual([
      ['One.', true],
      ['Two.', false],
      ['Three.', true],
      ['Four.', false],
      ['five', true],
      ['six', false],
    ]);
  });

  it('keeps exact offsets on a long mixed document', () => {
    const doc = table.map(([, input]) => input).join('\n\n');
    const segs = segment(doc);
    expect(segs.length).toBeGreaterThan(100);
    for (const s of segs) expect(doc.slice(s.start, s.end)).toBe(s.text);
    // No sentence crosses a paragraph break.
    for (const s of segs) expect(s.text).not.toMatch(/\n\s*\n/);
  });

  it('handles surrogate pairs without shifting offsets', () => {
    const doc = 'I love 🍕 pizza. It is 😀 great.';
    expect(segment(doc).map((s) => doc.slice(s.start, s.end))).toEqual(['I love 🍕 pizza.', 'It is 😀 great.']);
  });
});

describe('segmentsFromSentences', () => {
  it('keeps the given sentences and offsets into their space-joined text', () => {
    const { text, segments } = segmentsFromSentences(['Dr. No.', 'Second one', 'Third.']);
    expect(text).toBe('Dr. No. Second one Third.');
    expect(segments.map((s) => text.slice(s.start, s.end))).toEqual(['Dr. No.', 'Second one', 'Third.']);
  });
});

describe('countWords', () => {
  it('counts white-space separated words', () => {
    expect(countWords('  one two\nthree\t four ')).toBe(4);
    expect(countWords('')).toBe(0);
  });
});
