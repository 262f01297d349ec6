// The worker side of upload reading: turns a file's bytes into the text to score, off the API's main thread, so
// that a hostile file (a .docx bomb, pathological HTML or Markdown) costs this thread, never /healthz or the
// requests of others. One request at a time, in order.
import { parentPort } from 'node:worker_threads';
import { strToU8, zipSync } from 'fflate';
import { DocxError, docxLimits, docxToText } from '../../readers/docx.ts';
import { documentText } from '../../readers/formats.ts';
import { InvalidUtf8Error } from '../../readers/text.ts';
import { NestingError } from '../../readers/text.ts';
import type { ExtractReply, ExtractRequest } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('api/extract/host.ts runs inside a worker thread');

port.on('message', (m: ExtractRequest) => {
  let reply: ExtractReply;
  try {
    reply = { id: m.id, ok: true, text: documentText(m.bytes, m.format, m.maxChars) };
  } catch (err) {
    if (err instanceof DocxError) {
      reply = { id: m.id, ok: false, error: { source: 'docx', kind: err.kind, ...(err.limit ? { limit: err.limit } : {}), message: err.message } };
    } else if (err instanceof InvalidUtf8Error) {
      reply = { id: m.id, ok: false, error: { source: 'utf8', message: err.message } };
    } else if (err instanceof NestingError) {
      reply = { id: m.id, ok: false, error: { source: 'nesting', kind: 'too_large', limit: 'htmlDepth', message: err.message } };
    } else {
      reply = { id: m.id, ok: false, error: { source: 'other', message: err instanceof Error ? err.message : String(err) } };
    }
  }
  port.postMessage(reply);
});
// Warm up before saying ready: the first megabytes through the inflater and the XML parser run several times
// slower than later ones (the JIT has not optimised them yet), and the first file may be a hostile one.
const warmup = `<w:document><w:body>${'<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Warm up.</w:t></w:r></w:p>'.repeat(20_000)}</w:body></w:document>`;
docxToText(zipSync({ 'word/document.xml': strToU8(warmup) }), docxLimits(1_000_000));
port.postMessage({ ready: true });
