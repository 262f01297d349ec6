// `validate(schema)` on the route line (STYLE §3): handlers get clean, typed input in `res.locals.body`.
// Schema failures are 400 `invalid_request`, except a size limit, which is 422 `limit_exceeded` naming it.
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { HttpError } from './errors.ts';
import type { Limits } from './limits.ts';

type Issue = z.core.$ZodIssue;

export function validateBody(schema: z.ZodType, limits: Limits): RequestHandler {
  return (req, res, next) => {
    // A form upload was already turned into a body by the route (routes/upload.ts).
    if (!req.is('application/json') && res.locals.fromForm !== true) {
      throw new HttpError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
    }
    const parsed = schema.safeParse(req.body);
    if (parsed.success) {
      res.locals.body = parsed.data;
      return next();
    }
    const issues = parsed.error.issues;
    const exceeded = issues.map((i) => limitOf(i, limits)).find((l) => l !== undefined);
    if (exceeded) {
      throw new HttpError(
        422,
        'limit_exceeded',
        `${describe(issues.find((i) => limitOf(i, limits))!)} (limit ${exceeded.limit} = ${exceeded.max})`,
        {},
        exceeded,
      );
    }
    throw new HttpError(400, 'invalid_request', issues.slice(0, 5).map(describe).join('; '));
  };
}

function limitOf(issue: Issue, limits: Limits): { limit: keyof Limits; max: number } | undefined {
  if (issue.code === 'custom' && issue.params?.limit) {
    return { limit: issue.params.limit as keyof Limits, max: Number(issue.params.max) };
  }
  if (issue.code !== 'too_big') return undefined;
  const path = issue.path;
  if (path[path.length - 1] === 'text') return { limit: 'maxCharsPerDocument', max: limits.maxCharsPerDocument };
  if (path.length === 1 && path[0] === 'documents') {
    return { limit: 'maxDocumentsPerBatch', max: limits.maxDocumentsPerBatch };
  }
  return undefined;
}

function describe(issue: Issue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  // Messages never echo the input (it may be huge or hostile); key names are cut short.
  return `${where.slice(0, 100)}: ${issue.message.slice(0, 200)}`;
}
