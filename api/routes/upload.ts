// POST /v1/detect as a form: `curl -F file=@essay.docx -F model=small localhost:8080/v1/detect`. The file (.txt,
// .md, .html or .docx, by its name or media type) becomes the request's `text`, read the way `ptd score` reads
// files; the other form fields (`model`, `threshold`) become the rest of the JSON body, which the route then
// validates as it validates JSON.
import type { RequestHandler } from 'express';
import { DocxError } from '../../model/commands/docx.ts';
import { documentText, formatOfUpload } from '../../model/commands/inputs.ts';
import { HttpError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import { readFormUpload } from '../multipart.ts';

export function documentFromForm(limits: Limits): RequestHandler {
  return async (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    const form = await readFormUpload(req, 'maxBodyBytes', limits.maxBodyBytes);
    const name = form.filename || 'the file';
    const format = formatOfUpload(form.filename, form.mimeType);
    if (format === null || format === 'jsonl') {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `cannot read ${name} (${form.mimeType || 'no media type'}) as one document: upload a .txt, .md, .html or .docx file` +
          (format === 'jsonl' ? ' (for many documents, POST /v1/detect/batch or /v1/jobs)' : ''),
      );
    }
    let text: string;
    try {
      text = documentText(form.file, format);
    } catch (err) {
      if (err instanceof DocxError) throw new HttpError(400, 'invalid_request', `${name}: ${err.message}`);
      throw err;
    }
    const { threshold, ...rest } = form.fields;
    req.body = { ...rest, text, ...(threshold !== undefined && threshold.trim() !== '' ? { threshold: Number(threshold) } : {}) };
    res.locals.fromForm = true;
    next();
  };
}
