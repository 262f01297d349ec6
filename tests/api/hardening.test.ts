// Hostile input and requests against the API: .docx bombs (refused fast, off the main thread, without memory),
// requests from other sites' pages to a keyless server, bodies in other charsets, invalid UTF-8 on every path,
// form fields named like JavaScript internals.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { RunningServer } from '../../api/server.ts';
import { TextExtractor } from '../../api/extract/client.ts';
import { docxLimits } from '../../readers/docx.ts';
import { docxBomb, docxOf, manyParts, markupBomb, paragraphBomb, withDeclaredSize } from '../helpers/docx.ts';
import { SAMPLE, appWith, fakeDetector, fakeServer } from './helpers.ts';

function form(bytes: Uint8Array, filename: string, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(bytes)]), filename);
  return fd;
}

describe('.docx bombs against a running server', () => {
  let server: RunningServer;
  const detector = fakeDetector();
  let bomb: Uint8Array;

  beforeAll(async () => {
    bomb = docxBomb(400); // built (or read from the temporary directory) before the server starts
    server = await fakeServer({ base: detector });
    await server.app.locals.ptd.extractor().warm();
  });
  afterAll(() => server?.close());

  /**
   * Polls /healthz every 20 ms until stopped; returns each answer's time, counted from when the poll was due (not
   * from when it was sent): the server runs in this process, so a stalled event loop delays the poll's timer as much
   * as its answer, and a stall longer than the threshold shows either way. `answered()` resolves once a request sent
   * after the call has been answered: the polling covers everything up to the call.
   */
  function pollHealth(): { answered: () => Promise<void>; stop: () => Promise<number[]> } {
    const INTERVAL_MS = 20;
    const times: number[] = [];
    let running = true;
    const waiters: Array<{ after: number; resolve: () => void }> = [];
    const loop = (async () => {
      let due = performance.now();
      while (running) {
        const sent = performance.now();
        try {
          const res = await fetch(`${server.url}healthz`);
          await res.arrayBuffer();
          times.push(res.ok ? performance.now() - due : Infinity);
        } catch {
          times.push(Infinity);
        }
        for (const w of waiters.filter((w) => sent >= w.after)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        due = performance.now() + INTERVAL_MS;
        await new Promise((r) => setTimeout(r, INTERVAL_MS)); // the polling interval (not a wait for something)
      }
    })();
    return {
      answered: () => new Promise((resolve) => waiters.push({ after: performance.now(), resolve })),
      stop: async () => {
        running = false;
        await loop;
        return times;
      },
    };
  }

  it('refuses a 400 KB bomb, its lying variant and a paragraph bomb in < 1 s each, /healthz answering < 200 ms meanwhile, RSS growing < 100 MB', async () => {
    const limits = docxLimits();
    // A real document goes through first (and warms the reader's code paths).
    const ok = await fetch(`${server.url}v1/detect`, { method: 'POST', body: form(docxOf(['The ferry left at dawn.', 'We watched the gulls.']), 'essay.docx') });
    expect(ok.status).toBe(200);

    const cases: Array<[string, Uint8Array, number, string]> = [
      ['bomb', bomb, 413, 'docxBodyBytes'],
      ['lying bomb', withDeclaredSize(markupBomb(20), limits.maxBodyBytes), 413, 'docxBodyBytes'],
      ['paragraph bomb', paragraphBomb(500_000), 422, 'docxParagraphs'],
      ['too many parts', manyParts(1001), 422, 'docxParts'],
    ];
    const rss = process.memoryUsage().rss;
    const health = pollHealth();
    onTestFinished(() => void health.stop());
    await health.answered(); // polling from before the first bomb
    for (const [name, bytes, status, limit] of cases) {
      const started = performance.now();
      const res = await fetch(`${server.url}v1/detect`, { method: 'POST', body: form(bytes, `${name}.docx`) });
      const body = (await res.json()) as { error: { code: string; limit: string; max: number; message: string } };
      const ms = performance.now() - started;
      expect([res.status, body.error.limit], name).toEqual([status, limit]);
      expect(body.error.code).toBe(status === 413 ? 'payload_too_large' : 'limit_exceeded');
      expect(body.error.message).toMatch(new RegExp(`^${name}\\.docx: `));
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(1000);
      await health.answered(); // and on after each
    }
    const times = await health.stop();
    expect(times.length).toBeGreaterThanOrEqual(cases.length + 1);
    expect(Math.max(...times), `/healthz times: ${times.map((t) => t.toFixed(0)).join(', ')}`).toBeLessThan(200);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    expect(detector.calls).toEqual([1]); // only the real document reached the model
  });

  it('names the limit a bomb passes and its value', async () => {
    const res = await fetch(`${server.url}v1/detect`, { method: 'POST', body: form(bomb, 'b.docx') });
    const body = (await res.json()) as { error: { limit: string; max: number; message: string } };
    expect(body.error).toMatchObject({ limit: 'docxBodyBytes', max: docxLimits().maxBodyBytes });
    expect(body.error.message).toMatch(/word\/document\.xml declares \d+ bytes uncompressed, more than \d+/);
  });
});

describe('reading uploads off the main thread', () => {
  it('refuses a file that takes longer than the reader allows, and reads the next one on a fresh worker', async () => {
    const extractor = new TextExtractor({ timeoutMs: 100, maxPending: 4, maxMemoryMb: 256 });
    try {
      await extractor.warm();
      const app = appWith({ base: fakeDetector() }, { extractor, limits: { maxBodyBytes: 4 * 1024 * 1024 } });
      // A million HTML paragraphs: read in linear time, but far longer than the 100 ms this reader allows.
      const slow = Buffer.from('<p>a'.repeat(1_000_000));
      const res = await request(app).post('/v1/detect').attach('file', slow, 'slow.html');
      expect([res.status, res.body.error.code, res.body.error.limit]).toEqual([422, 'limit_exceeded', 'uploadReadMs']);
      await request(app).post('/v1/detect').attach('file', Buffer.from(SAMPLE), 'a.txt').expect(200);
    } finally {
      await extractor.close();
    }
  });
});

describe('same rules on every path', () => {
  const app = appWith({ base: fakeDetector() });
  const bad = Buffer.concat([Buffer.from('Hello there. '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' Done.')]);

  it('answers 400 invalid_utf8 to a .txt, .md or .html upload of invalid UTF-8, as to the same bytes in JSON', async () => {
    for (const name of ['essay.txt', 'notes.md', 'page.html']) {
      const res = await request(app).post('/v1/detect').attach('file', bad, name);
      expect([res.status, res.body.error.code], name).toEqual([400, 'invalid_utf8']);
      expect(res.body.error.message).toBe(`${name}: not valid UTF-8 text (save the file as UTF-8)`);
    }
    // A byte-order mark is not text.
    const bom = await request(app).post('/v1/detect').attach('file', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SAMPLE)]), 'bom.txt');
    expect(bom.body.sentences[0].start).toBe(0);
    expect(bom.body.sentences[0].text).toBe('The committee met on Tuesday to discuss the budget.');
  });

  it('refuses JSON in a charset other than UTF-8 (415), accepts utf-8', async () => {
    const body = JSON.stringify({ text: SAMPLE });
    for (const charset of ['utf-16', 'UTF-16LE', 'latin1', '"iso-8859-1"']) {
      const res = await request(app).post('/v1/detect').set('content-type', `application/json; charset=${charset}`).send(Buffer.from(body, charset.includes('16') ? 'utf16le' : 'latin1'));
      expect([res.status, res.body.error.code], charset).toEqual([415, 'unsupported_media_type']);
      expect(res.body.error.message).toMatch(/is not read: send the body as UTF-8/);
    }
    for (const charset of ['utf-8', 'UTF-8', 'utf8']) {
      await request(app).post('/v1/detect').set('content-type', `application/json; charset=${charset}`).send(body).expect(200);
    }
  });

  it('refuses a form field named __proto__ (or constructor, prototype) instead of ignoring it', async () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const res = await request(app).post('/v1/detect').field(name, 'x').attach('file', Buffer.from(SAMPLE), 'a.txt');
      expect([res.status, res.body.error.code], name).toEqual([400, 'invalid_request']);
      expect(res.body.error.message).toBe(`form field name "${name}" is not allowed`);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('requests from other sites to a keyless server', () => {
  const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };

  it('refuses a cross-site form POST with 403 naming the fix, before the model sees it', async () => {
    const d = fakeDetector();
    const app = appWith({ base: d });
    const res = await request(app).post('/v1/detect').set(crossSite).attach('file', Buffer.from(SAMPLE), 'a.txt');
    expect([res.status, res.body.error.code]).toEqual([403, 'cross_site_request']);
    expect(res.body.error.message).toMatch(/from another site \(https:\/\/evil\.example\).*Set PTD_API_KEYS.*--cors https:\/\/evil\.example/);
    const json = await request(app).post('/v1/detect').set(crossSite).set('content-type', 'text/plain').send(JSON.stringify({ text: SAMPLE }));
    expect(json.status).toBe(403);
    // same-site (another port of the same host) is another origin too; so is a sandboxed page ("null")
    expect((await request(app).post('/v1/detect').set({ origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' }).send({ text: SAMPLE })).status).toBe(403);
    expect((await request(app).post('/v1/detect').set({ origin: 'null', 'sec-fetch-site': 'cross-site' }).send({ text: SAMPLE })).status).toBe(403);
    // GETs too (a page could read nothing, but nothing on /v1 is for it)
    expect((await request(app).get('/v1/models').set(crossSite)).status).toBe(403);
    expect(d.calls).toEqual([]);
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(/ptd_rejected_requests_total\{reason="cross_site_request"\} 5/);
  });

  it('without Sec-Fetch-Site (older browsers), compares Origin with the Host the request was sent to', async () => {
    const app = appWith({ base: fakeDetector() });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const post = (origin: string) =>
        fetch(`http://127.0.0.1:${port}/v1/detect`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ text: SAMPLE }) });
      expect((await post('https://evil.example')).status).toBe(403);
      expect((await post(`http://localhost:${port}`)).status).toBe(403);
      expect((await post(`http://127.0.0.1:${port}`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('answers its own pages, clients that are not browsers, --cors origins, and anyone with a key', async () => {
    const open = appWith({ base: fakeDetector() });
    await request(open).post('/v1/detect').send({ text: SAMPLE }).expect(200); // curl, scripts
    await request(open).post('/v1/detect').set({ origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }).send({ text: SAMPLE }).expect(200);
    await request(open).get('/v1/models').set('sec-fetch-site', 'none').expect(200); // typed in the address bar
    // /healthz and the other open routes are not /v1
    await request(open).get('/healthz').set(crossSite).expect(200);

    const cors = appWith({ base: fakeDetector() }, { corsOrigins: ['https://evil.example'] });
    const allowed = await request(cors).post('/v1/detect').set(crossSite).send({ text: SAMPLE }).expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://evil.example');
    expect((await request(cors).post('/v1/detect').set({ ...crossSite, origin: 'https://other.example' }).send({ text: SAMPLE })).status).toBe(403);

    const keyed = appWith({ base: fakeDetector() }, { apiKeys: ['k'] });
    expect((await request(keyed).post('/v1/detect').set(crossSite).send({ text: SAMPLE })).status).toBe(401);
    await request(keyed).post('/v1/detect').set(crossSite).set('x-api-key', 'k').send({ text: SAMPLE }).expect(200);
  });
});
