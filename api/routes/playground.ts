// GET / — the playground page, and its script and style. The script is bundled from api/playground/*.ts
// with esbuild on first use and cached (no build step on a fresh clone). Strict CSP: no inline scripts.
import { Router } from 'express';
import { methodNotAllowed } from '../errors.ts';
import { playgroundAssets } from '../playground/bundle.ts';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function playgroundRouter(): Router {
  const router = Router();
  const send = (kind: 'html' | 'js' | 'css', type: string) =>
    async (_req: import('express').Request, res: import('express').Response) => {
      res.locals.route = kind === 'html' ? '/' : `/playground.${kind}`;
      const assets = await playgroundAssets();
      res.set('Content-Security-Policy', CSP);
      res.set('Cache-Control', 'no-cache');
      res.type(type).send(assets[kind]);
    };
  router.get('/', send('html', 'text/html; charset=utf-8'));
  router.get('/playground.js', send('js', 'text/javascript; charset=utf-8'));
  router.get('/playground.css', send('css', 'text/css; charset=utf-8'));
  router.all('/', methodNotAllowed('GET'));
  return router;
}
