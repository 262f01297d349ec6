// How big a document may be, counted one way for every face (API, jobs, `ptd score`, playground).
// A "character" is a Unicode code point: what JSON Schema's maxLength counts (so the OpenAPI document states
// the limit that is enforced), what Python's len() counts (dataset tooling), and what a reader would count
// (an emoji is one character, not the two UTF-16 units JavaScript's `.length` gives). Browser-safe.

/** Characters (code points) in one document unless configured otherwise (API: PTD_MAX_CHARS; CLI: --max-chars). */
export const DEFAULT_MAX_CHARS = 50_000;

/** Unicode code points in `text` (a lone surrogate counts as one). */
export function countChars(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Whether `text` holds more than `max` code points; stops counting early on long text. */
export function exceedsChars(text: string, max: number): boolean {
  // A string of at most `max` UTF-16 units holds at most `max` code points; one of more than 2 × max units holds more.
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  return countChars(text) > max;
}

/** UTF-8 bytes a document of `maxChars` characters takes at most (4 per code point). */
export function maxUtf8Bytes(maxChars: number): number {
  return 4 * maxChars;
}

/**
 * Bytes a one-document file may have, for documents of `maxChars` characters. Plain text: 4 per character (UTF-8's
 * most) and a byte-order mark; Markdown and HTML: 100 per character (markup, scripts and styles are not text);
 * .docx: 64 MiB (images included; its text is read within docxLimits).
 */
export function maxFileBytes(format: 'txt' | 'md' | 'html' | 'docx', maxChars: number): number {
  switch (format) {
    case 'txt':
      return maxUtf8Bytes(maxChars) + 3;
    case 'md':
    case 'html':
      return 100 * maxChars;
    case 'docx':
      return 64 * 1024 * 1024;
  }
}
