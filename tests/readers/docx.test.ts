// Word documents: the body text of a .docx, read by `ptd score` (and the playground). The files are built here
// with fflate, in the shape Word writes them (a zip with [Content_Types].xml and word/document.xml).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docxLimits, docxToText, DocxError, wordXmlToText } from '../../readers/docx.ts';
import { readEntry, type ZipError } from '../../readers/zip.ts';
import { docxBomb, docxOf, manyParts, markupBomb, paragraphBomb, withDeclaredSize } from '../helpers/docx.ts';
import { ptd } from '../helpers/ptd.ts';

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"';
const p = (...runs: string[]) => `<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr>${runs.join('')}</w:p>`;
const r = (text: string) => `<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">${text}</w:t></w:r>`;

/** A document.xml with the constructs Word uses: runs split mid-sentence, tabs, breaks, tracked changes,
 * a field, a table, a text box with its VML fallback, entities. */
const DOCUMENT = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ${W}><w:body>
${p(r('The ferry left at dawn. '), r('We '), r('watched the gulls.'))}
${p(r('Name:'), '<w:r><w:tab/></w:r>', r('Ana'), '<w:r><w:br/></w:r>', r('Date: 3 May'))}
${p(r('She said it was '), '<w:del w:id="1" w:author="x"><w:r><w:delText>really </w:delText></w:r></w:del>', '<w:ins w:id="2" w:author="x">', r('quite '), '</w:ins>', r('cold &amp; windy.'))}
${p('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>', r('7'), '<w:r><w:fldChar w:fldCharType="end"/></w:r>')}
<w:tbl><w:tr><w:tc>${p(r('Cell one.'))}</w:tc><w:tc>${p(r('Cell two.'))}</w:tc></w:tr></w:tbl>
${p('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>', p(r('Boxed note.')), '</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>', p(r('Boxed note.')), '</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>')}
${p()}
${p(r('  Last   line.  '))}
<w:sectPr/></w:body></w:document>`;

function docx(documentXml: string | null): Uint8Array {
  const files: Record<string, Uint8Array> = {
    '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    'word/styles.xml': strToU8('<?xml version="1.0"?><w:styles/>'),
  };
  if (documentXml !== null) files['word/document.xml'] = strToU8(documentXml);
  return zipSync(files);
}

describe('docx text', () => {
  it('reads the body paragraph by paragraph: split runs joined, tabs and breaks kept, deletions and field codes left out', () => {
    expect(wordXmlToText(DOCUMENT).split('\n\n')).toEqual([
      'The ferry left at dawn. We watched the gulls.',
      'Name:\tAna\nDate: 3 May',
      'She said it was quite cold & windy.',
      '7',
      'Cell one.',
      'Cell two.',
      'Boxed note.', // the text box once (its mc:Fallback copy is skipped); its run's own paragraph is empty
      'Last line.',
    ]);
  });

  it('unzips a .docx and names what is wrong with a file that is not one', () => {
    expect(docxToText(docx(DOCUMENT))).toBe(wordXmlToText(DOCUMENT));
    expect(() => docxToText(strToU8('plain text, not a zip'))).toThrow(/not a .docx file \(not a zip archive\)/);
    expect(() => docxToText(Uint8Array.of(0xd0, 0xcf, 0x11, 0xe0, 0, 0))).toThrow(/encrypted \(password-protected\) or old \.doc/);
    expect(() => docxToText(docx(null))).toThrow(/no word\/document\.xml/);
    const cut = docx(DOCUMENT).slice(0, 60);
    expect(() => docxToText(cut)).toThrow(DocxError);
  });
});

describe('docx limits (docxLimits: derived from the document character limit)', () => {
  const refusal = (bytes: Uint8Array, limits = docxLimits()) => {
    try {
      docxToText(bytes, limits);
    } catch (err) {
      expect(err).toBeInstanceOf(DocxError);
      return err as DocxError;
    }
    throw new Error('no error');
  };

  // Time is checked where the issue asks for it, on a running server (tests/api/hardening.test.ts); here, memory.
  it('refuses a 400 KB decompression bomb from its declared size, before inflating, without memory', () => {
    const bomb = docxBomb(400);
    expect(bomb.length).toBeGreaterThan(300_000);
    expect(bomb.length).toBeLessThan(500_000);
    const rss = process.memoryUsage().rss;
    const err = refusal(bomb);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    expect(err).toMatchObject({ kind: 'too_large', limit: 'docxBodyBytes' });
    expect(err.message).toMatch(/word\/document\.xml declares \d+ bytes uncompressed, more than 3548576 \(limit docxBodyBytes\)/);
    expect(docxLimits().maxBodyBytes).toBe(50 * 50_000 + 1024 * 1024);
  });

  it('refuses a bomb whose header lies, while inflating: at the cap, or at the size it declared', () => {
    const limits = docxLimits();
    // 20 MB of markup and no text: nothing but the byte cap stops it.
    const atCap = refusal(withDeclaredSize(markupBomb(20), limits.maxBodyBytes));
    expect(atCap).toMatchObject({ kind: 'too_large', limit: 'docxBodyBytes' });
    expect(atCap.message).toMatch(/inflates to more than 3548576 bytes/);
    expect(refusal(markupBomb(20))).toMatchObject({ kind: 'too_large', limit: 'docxBodyBytes' }); // its honest header
    const small = refusal(withDeclaredSize(markupBomb(20), 1000));
    expect(small).toMatchObject({ kind: 'invalid' });
    expect(small.message).toMatch(/inflates to more bytes than its header declares/);
    // One paragraph longer than the character limit stops as it grows (before its end tag).
    expect(refusal(docxOf(['a'.repeat(3 * 50_000)]))).toMatchObject({ kind: 'too_large', limit: 'maxCharsPerDocument' });
  });

  it('refuses a paragraph bomb, too many parts, and text over the character limit', () => {
    const bomb = paragraphBomb(500_000); // 3 MB of <w:p/>, under the byte cap
    const rss = process.memoryUsage().rss;
    const paragraphs = refusal(bomb);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    expect(paragraphs).toMatchObject({ kind: 'too_large', limit: 'docxParagraphs' });
    expect(paragraphs.message).toBe('the document has more than 50000 paragraphs');
    expect(refusal(manyParts(1001))).toMatchObject({ kind: 'too_large', limit: 'docxParts' });
    // Deep nesting (an XML parser's work per element grows with the depth): 257 levels.
    const deep = docxOf([`${'<w:sdt>'.repeat(257)}x${'</w:sdt>'.repeat(257)}`]);
    expect(refusal(deep)).toMatchObject({ kind: 'too_large', limit: 'docxDepth', message: 'the document nests elements more than 256 deep' });
    expect(docxToText(manyParts(1000))).toBe('Hello there.');
    // 100 characters allowed: 2 × 50 letters and the paragraph break are 102.
    const long = docxOf(['a'.repeat(50), 'b'.repeat(50)]);
    expect(refusal(long, docxLimits(100))).toMatchObject({ kind: 'too_large', limit: 'maxCharsPerDocument' });
    expect(docxToText(long, docxLimits(102))).toBe(`${'a'.repeat(50)}\n\n${'b'.repeat(50)}`);
    // Characters are code points, as everywhere: 51 emoji are 102 UTF-16 units.
    expect(docxToText(docxOf(['😀'.repeat(51)]), docxLimits(51))).toBe('😀'.repeat(51));
  });

  it('refuses the same way with the browser\'s inflater (fflate) as with Node\'s zlib', () => {
    const limits = docxLimits();
    const zip = { maxEntries: limits.maxParts, maxEntryBytes: limits.maxBodyBytes };
    const read = (bytes: Uint8Array, native: boolean) => {
      let n = 0;
      try {
        readEntry(bytes, 'word/document.xml', zip, (c) => (n += c.length), { native });
        return `ok ${n}`;
      } catch (err) {
        return `${(err as ZipError).kind}: ${(err as Error).message}`;
      }
    };
    const cases = [docxOf(['Hello there.']), markupBomb(20), withDeclaredSize(markupBomb(20), limits.maxBodyBytes), withDeclaredSize(markupBomb(20), 1000)];
    const outcomes = cases.map((c) => read(c, false));
    expect(outcomes[0]).toMatch(/^ok \d+$/);
    expect(outcomes.slice(1)).toEqual([
      expect.stringMatching(/^too_large: .*declares/),
      expect.stringMatching(/^too_large: .*inflates to more than 3548576 bytes/),
      expect.stringMatching(/^invalid: .*more bytes than its header declares/),
    ]);
    expect(cases.map((c) => read(c, true))).toEqual(outcomes);
  });

  it('refuses a body that is not UTF-8', () => {
    const bytes = zipSync({ 'word/document.xml': Uint8Array.from([...strToU8(`<w:document ${W}><w:body><w:p><w:r><w:t>`), 0xff, 0xfe, ...strToU8('</w:t></w:r></w:p></w:body></w:document>')]) });
    expect(refusal(bytes)).toMatchObject({ kind: 'invalid', message: 'not a readable .docx file: word/document.xml is not valid UTF-8' });
  });
});

describe('ptd score on .docx files', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ptd-docx-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores the body text of a Word document (fixture model)', async () => {
    const file = path.join(dir, 'essay.docx');
    writeFileSync(file, docx(DOCUMENT));
    const run = await ptd('score', '-m', 'tests/fixtures/models/tiny', '--format', 'json', file);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { source: string; sentences: { text: string }[] };
    expect(out.source).toBe(file);
    const texts = out.sentences.map((s) => s.text);
    expect(texts).toContain('The ferry left at dawn.');
    expect(texts).toContain('We watched the gulls.');
    expect(texts.join(' ')).not.toMatch(/really|PAGE|<w:/);
  });

  it('exits 1 with the file name and the reason for a .docx that is not one', async () => {
    const file = path.join(dir, 'fake.docx');
    writeFileSync(file, 'just text');
    const run = await ptd('score', '-m', 'tests/fixtures/models/tiny', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read ${file}: not a .docx file (not a zip archive)`);
  });
});
