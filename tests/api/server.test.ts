// A real server on a loopback port with the fixture model (tests/fixtures/models/tiny): every endpoint,
// device fallback reporting, NDJSON streaming, the OpenAPI document against the routes, graceful shutdown.
import type { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../api/server.ts';
import {
  batchResponseSchema,
  detectionResultSchema,
  healthSchema,
  modelsResponseSchema,
} from '../../api/schemas.ts';
import { SAMPLE, fakeDetector, fakeServer, gate, silent } from './helpers.ts';
import { CUDA_USABLE } from '../helpers/cuda.ts';

const FIXTURE = 'tests/fixtures/models/tiny';

describe('with the fixture model', () => {
  let server: RunningServer;
  const url = (p: string) => new URL(p, server.url).toString();
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url(p), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    server = await startServer({ port: 0, models: [FIXTURE, `small=${FIXTURE}`], device: 'auto', logger: silent });
    await server.ready;
  });
  afterAll(() => server?.close());

  it('binds to 127.0.0.1 by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('GET /healthz is ok once loaded', async () => {
    const res = await fetch(url('/healthz'));
    expect(res.status).toBe(200);
    expect(healthSchema.parse(await res.json())).toEqual({ status: 'ok', models: { tiny: true, small: true } });
  });

  it('GET /v1/models says which device runs and why', async () => {
    const body = modelsResponseSchema.parse(await (await fetch(url('/v1/models'))).json());
    expect(body.default).toBe('tiny');
    const tiny = body.models[0]!;
    expect(tiny.info!.name).toBe('ptd-tiny-fixture');
    expect(tiny.maxTokens).toBe(512);
    expect(tiny.thresholds!.length).toBeGreaterThan(0);
    if (CUDA_USABLE) {
      expect(tiny.info!.device).toBe('cuda');
      expect(tiny.deviceReason).toBe('cuda: --device auto tries CUDA first, and it loaded');
    } else {
      // No CUDA here (as in CI): auto tried it, fell back to the CPU's dtype, and says so.
      expect(tiny.info!.device).toBe('cpu');
      expect(tiny.info!.fallbacks[0]!.device).toBe('cuda');
      expect(tiny.info!.dtype).toBe('q8');
      expect(tiny.deviceReason).toMatch(/^cpu: --device auto tries CUDA first \(cuda failed: /);
    }
  });

  it('POST /v1/detect scores every sentence with offsets', async () => {
    const res = await post('/v1/detect', { text: SAMPLE });
    expect(res.status).toBe(200);
    const result = detectionResultSchema.parse(await res.json());
    expect(result.sentences.length).toBe(4);
    for (const s of result.sentences) {
      expect(SAMPLE.slice(s.start, s.end)).toBe(s.text);
      expect(s.label).toBe(s.score! >= result.threshold ? 'paraphrased' : 'human');
    }
    expect(result.score).toBe(Math.max(...result.sentences.map((s) => s.score!)));
  });

  it('POST /v1/detect leaves what the model cannot read unscored, with a reason, and explains flagged sentences', async () => {
    const text = `${SAMPLE}\n\nЭто статья о развитии города. Жители надеются, что власти построят больше дорог.`;
    const res = await post('/v1/detect', { text, threshold: 0 });
    expect(res.status).toBe(200);
    const result = detectionResultSchema.parse(await res.json());
    const russian = result.sentences.filter((s) => /[а-я]/.test(s.text));
    expect(russian.length).toBe(2);
    for (const s of russian) expect(s).toMatchObject({ score: null, label: 'skipped', skipped: 'language' });
    expect(result.coverage).toMatchObject({ scored: 4, skipped: 2 });
    // threshold 0 flags every scored sentence; each has evidence (an empty list when no words lower its score)
    const scored = result.sentences.filter((s) => s.score !== null);
    expect(scored.every((s) => s.label === 'paraphrased' && Array.isArray(s.evidence))).toBe(true);
    for (const e of scored.flatMap((s) => s.evidence!)) expect(text.slice(e.start, e.end)).toBe(e.text);
    const without = detectionResultSchema.parse(await (await post('/v1/detect', { text, threshold: 0, evidence: false })).json());
    expect(without.sentences.every((s) => s.evidence === undefined)).toBe(true);
    expect(without.sentences.map((s) => s.score)).toEqual(result.sentences.map((s) => s.score));
  });

  it('POST /v1/detect/batch matches single-document scoring, in input order', async () => {
    const texts = [SAMPLE, 'A short one. And another sentence.', SAMPLE.slice(0, 60)];
    const res = await post('/v1/detect/batch', { documents: texts.map((text, i) => ({ id: `d${i}`, text })), model: 'small' });
    expect(res.status).toBe(200);
    const body = batchResponseSchema.parse(await res.json());
    expect(body.documents.map((d) => d.id)).toEqual(['d0', 'd1', 'd2']);
    for (const [i, text] of texts.entries()) {
      const single = detectionResultSchema.parse(await (await post('/v1/detect', { text })).json());
      const scores = body.documents[i]!.sentences.map((s) => s.score);
      // q8 activations are quantized per batch, so batching moves scores slightly.
      single.sentences.forEach((s, j) => expect(s.score).toBeCloseTo(scores[j]!, 2));
    }
  });

  it('streams NDJSON lines for a batch', async () => {
    const documents = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}`, text: `Sentence ${i} here. `.repeat(1 + (i % 4)) }));
    const res = await post('/v1/detect/batch', { documents }, { accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; index: number });
    expect(lines.map((l) => l.index).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    for (const l of lines) expect(detectionResultSchema.safeParse(l).success).toBe(true);
  });

  it('GET /metrics exposes requests, latency, documents and queue depth', async () => {
    const text = await (await fetch(url('/metrics'))).text();
    for (const name of [
      'ptd_http_requests_total',
      'ptd_http_request_duration_seconds_bucket',
      'ptd_documents_scored_total{model="tiny"}',
      'ptd_sentences_scored_total',
      'ptd_model_call_duration_seconds_bucket',
      'ptd_queue_depth',
      'ptd_process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('GET /openapi.json describes skipped sentences, the reason a document is unreliable, and evidence', async () => {
    type Schema = { properties: Record<string, Record<string, unknown>> };
    const doc = (await (await fetch(url('/openapi.json'))).json()) as { components: { schemas: Record<string, Schema> } };
    const result = doc.components.schemas.DetectionResult!;
    const sentence = (result.properties.sentences!.items as Schema).properties;
    expect(JSON.stringify(sentence.score)).toContain('null');
    expect(JSON.stringify(sentence.label)).toContain('skipped');
    expect(JSON.stringify(sentence.skipped)).toContain('language');
    expect(((sentence.evidence!.items as Schema).properties.drop as { type: string }).type).toBe('number');
    expect(JSON.stringify(result.properties.reason)).toContain('too-short');
    expect(JSON.stringify(result.properties.coverage)).toContain('skipped');
    expect(JSON.stringify(doc.components.schemas.DetectRequest)).toContain('evidence');
  });

  it('GET /openapi.json documents exactly the routes the app serves', async () => {
    const doc = (await (await fetch(url('/openapi.json'))).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths)
      .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(routesOf(server.app.router as unknown as Router)).toEqual(documented);
    // And each documented operation answers (not 404) on the live server.
    for (const op of documented) {
      const [method, p] = op.split(' ') as [string, string];
      const res = await fetch(url(p), method === 'POST' ? { method, headers: { 'content-type': 'application/json' }, body: '{}' } : {});
      expect(res.status, op).not.toBe(404);
      await res.arrayBuffer();
    }
    // The request schemas carry the limits.
    const schemas = (doc as unknown as { components: { schemas: Record<string, { properties: Record<string, { maxLength?: number }> }> } })
      .components.schemas;
    expect(schemas.DetectRequest!.properties.text!.maxLength).toBe(server.app.locals.ptd.limits.maxCharsPerDocument);
  });

  it('GET / serves the playground', async () => {
    const res = await fetch(url('/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<script type="module" src="/playground.js">');
  });
});

describe('device and loading', () => {
  it('reports loading, then ready', async () => {
    const g = gate();
    const d = fakeDetector();
    const server = await startServer({
      port: 0,
      models: ['base'],
      loader: async () => {
        await g.promise;
        return d;
      },
      logger: silent,
    });
    try {
      let res = await fetch(new URL('/healthz', server.url));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe('loading');
      res = await fetch(new URL('/v1/detect', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"Hi there."}' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      g.open();
      await server.ready;
      expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('says failed on /healthz when a model does not load', async () => {
    const server = await startServer({
      port: 0,
      models: ['base'],
      loader: async () => {
        throw new Error('no such model');
      },
      logger: silent,
    });
    try {
      await expect(server.ready).rejects.toThrow(/model "base" \(base\) failed to load: no such model/);
      const res = await fetch(new URL('/healthz', server.url));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe('failed');
    } finally {
      await server.close();
    }
  });

  it('with --device auto, keeps a model that loaded on CUDA as fp32', async () => {
    const asked: Array<{ device?: string; dtype?: string }> = [];
    const server = await fakeServer(
      {},
      {
        models: ['base'],
        device: 'auto',
        loader: async ({ device, dtype }) => {
          asked.push({ device, dtype });
          return fakeDetector('ptd-base', 'cuda');
        },
      },
    );
    try {
      expect(asked).toEqual([{ device: 'auto', dtype: 'fp32' }]);
      expect(server.registry.get('base')!.deviceReason).toBe('cuda: --device auto tries CUDA first, and it loaded');
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, finishes the request in flight, then releases the model', async () => {
    const d = fakeDetector();
    const g = gate();
    d.gate = g.promise;
    const server = await fakeServer({ base: d });
    const inflight = fetch(new URL('/v1/detect', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: SAMPLE }),
    });
    while (d.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close();
    let closed = false;
    void closing.then(() => (closed = true));
    // A new connection is refused: the close has taken effect. A close that did not wait for the request in flight
    // (held at the gate) would have run to its end by this round trip; this one must still be waiting.
    await expect(fetch(new URL('/healthz', server.url))).rejects.toThrow();
    expect(server.server.listening).toBe(false);
    expect(closed).toBe(false);
    expect(d.disposed).toBe(false);
    g.open();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect(detectionResultSchema.parse(await res.json()).sentences).toHaveLength(4);
    await closing;
    expect(d.disposed).toBe(true);
  });
});

/** `METHOD /path` for every route an Express app serves (405 catch-alls excluded), OpenAPI-style params. */
function routesOf(router: Router, prefix = ''): string[] {
  const out: string[] = [];
  type Layer = { rawPath?: string; route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (layer.route) {
      for (const m of Object.keys(layer.route.methods)) {
        if (m === '_all') continue;
        out.push(`${m.toUpperCase()} ${(prefix + layer.route.path).replace(/:(\w+)/g, '{$1}')}`);
      }
    } else if (layer.handle.stack) {
      out.push(...routesOf(layer.handle as unknown as Router, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '')));
    }
  }
  // Static assets of the playground are not API operations.
  return out.filter((r) => !/\/playground\.(js|css)$/.test(r)).sort();
}
