// POST /v1/detect as a form: `curl -F file=@essay.docx -F model=small localhost:8080/v1/detect`. The file (.txt,
// .md, .html or .docx, by its name or media type) becomes the request's `text`, read the way `ptd score` reads
// files but in a worker thread (api/extract), within the .docx limits derived from maxCharsPerDocument; the other
// form fields (`model`, `threshold`) become the rest of the JSON body, which the route then validates as it
// validates JSON.
import type { RequestHandler } from 'express';
import { docxLimits } from '../../readers/docx.ts';
import { formatOfUpload } from '../../readers/formats.ts';
import { MAX_HTML_DEPTH } from '../../readers/text.ts';
import { HttpError } from '../errors.ts';
import { ExtractError, type TextExtractor } from '../extract/client.ts';
import type { ExtractFailure } from '../extract/protocol.ts';
import type { Limits } from '../limits.ts';
import { readFormUpload } from '../multipart.ts';

export function documentFromForm(limits: Limits, extractor: () => TextExtractor): RequestHandler {
  return async (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    const form = await readFormUpload(req, 'maxBodyBytes', limits.maxBodyBytes);
    const name = (form.filename || 'the file').slice(0, 200);
    const format = formatOfUpload(form.filename, form.mimeType);
    if (format === null || format === 'jsonl') {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `cannot read ${name} (${form.mimeType || 'no media type'}) as one document: upload a .txt, .md, .html or .docx file` +
          (format === 'jsonl' ? ' (for many documents, POST /v1/detect/batch or /v1/jobs)' : ''),
      );
    }
    let result;
    try {
      result = await extractor().extract(form.file, format, limits.maxCharsPerDocument);
    } catch (err) {
      throw extractorError(err, name, extractor());
    }
    if (!result.ok) throw readerError(result.error, name, limits.maxCharsPerDocument);
    const { threshold, ...rest } = form.fields;
    req.body = { ...rest, text: result.text, ...(threshold !== undefined && threshold.trim() !== '' ? { threshold: Number(threshold) } : {}) };
    res.locals.fromForm = true;
    next();
  };
}

/** The reader refused the file: 400 unreadable or not UTF-8, 413 a body too large inflated, 422 another limit. */
function readerError(e: ExtractFailure, name: string, maxChars: number): HttpError {
  if (e.source === 'utf8') return new HttpError(400, 'invalid_utf8', `${name}: ${e.message}`);
  if (e.source === 'nesting') return new HttpError(422, 'limit_exceeded', `${name}: ${e.message}`, {}, { limit: 'htmlDepth', max: MAX_HTML_DEPTH });
  if (e.source !== 'docx') return new HttpError(500, 'internal_error', 'internal server error');
  if (e.kind !== 'too_large') return new HttpError(400, 'invalid_request', `${name}: ${e.message}`);
  const caps = docxLimits(maxChars);
  const max: Record<string, number> = {
    docxBodyBytes: caps.maxBodyBytes,
    docxParts: caps.maxParts,
    docxParagraphs: caps.maxParagraphs,
    maxCharsPerDocument: maxChars,
  };
  const limit = e.limit ?? 'docxBodyBytes';
  if (limit === 'docxBodyBytes') {
    return new HttpError(413, 'payload_too_large', `${name}: ${e.message}; refused before inflating it further`, {}, { limit, max: max[limit] });
  }
  return new HttpError(422, 'limit_exceeded', `${name}: ${e.message} (limit ${limit} = ${max[limit]})`, {}, { limit, max: max[limit] });
}

/** The file reader itself gave up on the file. */
function extractorError(err: unknown, name: string, extractor: TextExtractor): HttpError {
  if (!(err instanceof ExtractError)) return new HttpError(500, 'internal_error', 'internal server error');
  const { timeoutMs, maxMemoryMb } = extractor.options;
  switch (err.reason) {
    case 'timeout':
      return new HttpError(422, 'limit_exceeded', `${name}: ${err.message}`, {}, { limit: 'uploadReadMs', max: timeoutMs });
    case 'memory':
      return new HttpError(413, 'payload_too_large', `${name}: ${err.message}`, {}, { limit: 'uploadReadMemoryMb', max: maxMemoryMb });
    case 'busy':
      return new HttpError(429, 'queue_full', `${name}: ${err.message}; retry later`, { 'Retry-After': '2' });
    case 'crashed':
      return new HttpError(500, 'internal_error', 'internal server error');
  }
}
