// An upload sent as an HTML form (`multipart/form-data`, e.g. `curl -F file=@docs.jsonl`): one file field named
// `file` and optional text fields (`model`, `threshold`, ...). Used by POST /v1/jobs (JSON lines) and POST
// /v1/detect (one document). Parsed with busboy, streamed, the file cut off at the route's byte limit (413), every
// malformed form a 400 that says what was wrong.
import busboy from 'busboy';
import type { Request } from 'express';
import { HttpError, payloadTooLarge } from './errors.ts';

export interface FormUpload {
  /** Text fields of the form (the last value of a repeated field). */
  fields: Record<string, string>;
  /** The bytes of the `file` field. */
  file: Buffer;
  /** The file's name and media type as the client sent them. */
  filename: string;
  mimeType: string;
}

/** The form field that carries the JSON lines. */
export const FILE_FIELD = 'file';

const MAX_FIELDS = 20;
/** Names that mean something to JavaScript objects: refused, not silently dropped or merged. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_FIELD_BYTES = 4096;

/** Reads the form; a file over `maxBytes` is a 413 naming `limit`, the route's limit on it. */
export function readFormUpload(req: Request, limit: 'maxBodyBytes' | 'maxUploadBytes', maxBytes: number): Promise<FormUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: maxBytes, files: 2, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 2 },
      });
    } catch (err) {
      reject(new HttpError(400, 'invalid_request', `malformed multipart form: ${(err as Error).message}`));
      return;
    }
    // No prototype: a field named "__proto__" is an ordinary (and refused) name, never the object's prototype.
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    const chunks: Buffer[] = [];
    let size = 0;
    let files = 0;
    let filename = '';
    let mimeType = '';
    let failed: HttpError | undefined;
    const fail = (err: HttpError) => {
      if (failed) return;
      failed = err;
      req.unpipe(parser);
      req.resume(); // drain the rest, so the answer can be sent
      reject(err);
    };

    parser.on('file', (name, stream, info) => {
      files++;
      filename = info.filename ?? '';
      mimeType = info.mimeType ?? '';
      if (name !== FILE_FIELD) {
        stream.resume();
        fail(new HttpError(400, 'invalid_request', `unexpected file field "${name}": send the JSON lines as a file field named "${FILE_FIELD}"`));
        return;
      }
      if (files > 1) {
        stream.resume();
        fail(new HttpError(400, 'invalid_request', `send one file per job (the form has more than one "${FILE_FIELD}")`));
        return;
      }
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on('limit', () => fail(payloadTooLarge(limit, maxBytes, 'upload', { Connection: 'close' })));
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new HttpError(400, 'invalid_request', `form field "${name.slice(0, 100)}" is longer than ${MAX_FIELD_BYTES} bytes`));
      else if (FORBIDDEN_NAMES.has(name)) fail(new HttpError(400, 'invalid_request', `form field name "${name}" is not allowed`));
      else fields[name] = value;
    });
    parser.on('filesLimit', () => fail(new HttpError(400, 'invalid_request', `send one file per job (the form has more than one "${FILE_FIELD}")`)));
    parser.on('fieldsLimit', () => fail(new HttpError(400, 'invalid_request', `more than ${MAX_FIELDS} form fields`)));
    parser.on('partsLimit', () => fail(new HttpError(400, 'invalid_request', `more than ${MAX_FIELDS + 2} form parts`)));
    parser.on('error', (err: Error) => fail(new HttpError(400, 'invalid_request', `malformed multipart form: ${err.message}`)));
    parser.on('close', () => {
      if (failed) return;
      if (files === 0) {
        reject(new HttpError(400, 'invalid_request', `the form has no file field "${FILE_FIELD}" (e.g. curl -F ${FILE_FIELD}=@essay.docx)`));
        return;
      }
      resolve({ fields, file: Buffer.concat(chunks, size), filename, mimeType });
    });
    req.pipe(parser);
  });
}
