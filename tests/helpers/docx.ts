// Word documents for tests, built with fflate in the shape Word writes them, and hostile ones: a decompression
// bomb (a small archive whose body inflates to hundreds of megabytes), one whose header lies about that size,
// a paragraph bomb (millions of empty paragraphs within the byte limit) and an archive of too many parts.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, Zip, ZipDeflate, zipSync } from 'fflate';

export const W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W_NS}><w:body>`;
const TAIL = '<w:sectPr/></w:body></w:document>';
const CONTENT_TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>';

/** A .docx whose body holds these paragraphs. */
export function docxOf(paragraphs: string[]): Uint8Array {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join('');
  return zipSync({ '[Content_Types].xml': strToU8(CONTENT_TYPES), 'word/document.xml': strToU8(HEAD + body + TAIL) });
}

/** A .docx whose word/document.xml is `head`, then `fill` repeated `times` times, then `tail`, deflated as it streams. */
function streamedDocx(head: string, fill: Uint8Array, times: number, tail: string): Uint8Array {
  const out: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    out.push(chunk);
  });
  const types = new ZipDeflate('[Content_Types].xml');
  zip.add(types);
  types.push(strToU8(CONTENT_TYPES), true);
  const body = new ZipDeflate('word/document.xml', { level: 6 });
  zip.add(body);
  body.push(strToU8(head));
  for (let i = 0; i < times; i++) body.push(fill);
  body.push(strToU8(tail), true);
  zip.end();
  const bytes = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of out) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * A decompression bomb: about `compressedKB` of archive whose body is one paragraph of ~1,000× as many bytes of text
 * (deflate's best ratio). Deflating 400 MB takes seconds, so the file is kept in the temporary directory for the
 * other test files (written under a temporary name, then renamed: forks may race).
 */
export function docxBomb(compressedKB = 400): Uint8Array {
  const cached = path.join(tmpdir(), `ptd-test-docx-bomb-${compressedKB}k.docx`);
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
  const mb = new Uint8Array(1024 * 1024).fill(0x61); // 'a'
  const bytes = streamedDocx(`${HEAD}<w:p><w:r><w:t>`, mb, Math.round(compressedKB), `</w:t></w:r></w:p>${TAIL}`);
  const temp = `${cached}.${process.pid}`;
  writeFileSync(temp, bytes);
  renameSync(temp, cached);
  return bytes;
}

/** `mb` megabytes of markup and no text (`<w:r/>` runs), in a few kilobytes: only the byte cap stops it. */
export function markupBomb(mb: number): Uint8Array {
  const fill = strToU8('<w:r/>'.repeat(Math.floor((1024 * 1024) / 6)));
  return streamedDocx(HEAD, fill, mb, TAIL);
}

/** Millions of empty paragraphs (`<w:p/>`) in a few kilobytes: `count` of them. */
export function paragraphBomb(count: number): Uint8Array {
  const batch = 10_000;
  const fill = strToU8('<w:p/>'.repeat(batch));
  return streamedDocx(HEAD, fill, Math.ceil(count / batch), TAIL);
}

/** The same archive with the body's uncompressed size in the central directory (and local header) set to `size`. */
export function withDeclaredSize(docx: Uint8Array, size: number): Uint8Array {
  const bytes = docx.slice();
  const view = new DataView(bytes.buffer);
  for (let i = 0; i + 46 < bytes.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x02014b50 && new TextDecoder().decode(bytes.subarray(i + 46, i + 46 + view.getUint16(i + 28, true))) === 'word/document.xml') {
      view.setUint32(i + 24, size, true);
    }
  }
  return bytes;
}

/** An archive of `parts` entries, one of them a valid body. */
export function manyParts(parts: number): Uint8Array {
  const files: Record<string, Uint8Array> = { 'word/document.xml': strToU8(`${HEAD}<w:p><w:r><w:t>Hello there.</w:t></w:r></w:p>${TAIL}`) };
  for (let i = 1; i < parts; i++) files[`word/media/image${i}.png`] = new Uint8Array(1);
  return zipSync(files, { level: 0 });
}
