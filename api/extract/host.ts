// The worker side of upload reading: turns a file's bytes into the text to score, off the API's main thread, so
// that a hostile file (a .docx bomb, pathological HTML or Markdown) costs this thread, never /healthz or the
// requests of others. One request at a time, in order.
import { parentPort } from 'node:worker_threads';
import { DocxError } from '../../model/commands/docx.ts';
import { documentText, InvalidUtf8Error } from '../../model/commands/inputs.ts';
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
    } else {
      reply = { id: m.id, ok: false, error: { source: 'other', message: err instanceof Error ? err.message : String(err) } };
    }
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
